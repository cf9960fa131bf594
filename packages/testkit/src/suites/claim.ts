import { durable } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import {
  expectErr,
  LEASE_EXPIRY,
  LEASE_MS,
  NO_CLEANUPS,
  newClock,
  normalized,
  processOn,
  type SuiteContext,
  uniqueRunId,
} from '../context.ts';

/** semantics §3.1: load claims atomically, creates, takes over, refuses a live lease. */
export const claimSuite = ({ harness, options }: SuiteContext) => {
  it('creates an absent run and holds its lease', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('create');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    expect(cp).toMatchObject({ runId, status: 'running', attempt: 1, cleanupsRun: [] });
    const head = (await storage.read(runId))?.run;
    expect(head).toMatchObject({
      runId,
      status: 'running',
      attempt: 1,
      leaseExpiresAt: clock.now() + LEASE_MS,
    });
    expect(head?.owner).toEqual(expect.any(String));
    expect(await raw.readRun(runId)).toMatchObject({ status: 'running', owner: head?.owner });
  });

  it('answers RunBusy while another owner holds a live lease, changing nothing', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('busy');
    await processOn(storage, clock).load(NO_CLEANUPS, runId);
    const before = await storage.read(runId);
    clock.advance(LEASE_MS - 1);
    const busy = await expectErr(
      R.load(storage, { clock, leaseMs: LEASE_MS })(NO_CLEANUPS)(runId),
      'RunBusy',
    );
    expect(busy).toMatchObject({ runId, leaseExpiresAt: before?.run.leaseExpiresAt });
    expect(normalized(await storage.read(runId))).toEqual(normalized(before));
  });

  it('takes over a run whose lease expired, counting the attempt', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('takeover');
    const first = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    const firstOwner = (await storage.read(runId))?.run.owner;
    clock.advance(LEASE_EXPIRY);
    const second = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    expect([first.attempt, second.attempt]).toEqual([1, 2]);
    const head = (await storage.read(runId))?.run;
    expect(head?.owner).not.toBe(firstOwner);
    expect(head?.leaseExpiresAt).toBe(clock.now() + LEASE_MS);
  });

  it('a failed step releases the lease so that a retry claims the run at once', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('release');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    await expectErr(
      R.durable(storage)(cp)('boom')({})(() => {
        throw new Error('boom');
      }),
      'StepFailed',
    );
    const retry = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    expect(retry.attempt).toBe(2);
  });

  it(`of ${options.concurrency} concurrent claimers exactly one becomes the owner`, async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('claim-race');
    const others = await Promise.all([reopen(), reopen()]);
    const storages = [storage, ...others];
    const outcomes = await Promise.all(
      Array.from({ length: options.concurrency }, (_, i) =>
        R.load(storages[i % storages.length]!, { clock, leaseMs: LEASE_MS })(NO_CLEANUPS)(runId),
      ),
    );
    const owners = outcomes.filter((o) => o.isOk());
    const busy = outcomes.filter((o) => o.isErr() && o.error.type === 'RunBusy');
    expect(owners).toHaveLength(1);
    expect(busy).toHaveLength(options.concurrency - 1);
    expect((await storage.read(runId))?.run.attempt).toBe(1);
  });

  it('a completed run is replayed, not claimed: memoized outputs, no writes', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('completed');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    await durable(storage)(cp)('a')({ n: 1 })(() => 'first');
    await R.complete(storage)(cp);
    const before = await storage.read(runId);
    const replay = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    expect(replay.status).toBe('completed');
    let ran = false;
    const replayed = await durable(storage)(replay)('a')({ n: 1 })(() => {
      ran = true;
      return 'second';
    });
    expect(replayed).toBe('first');
    expect(ran).toBe(false);
    expect((await R.complete(storage)(replay)).isOk()).toBe(true);
    await expectErr(
      R.durable(storage)(replay)('new')({})(() => 1),
      'RunCompleted',
    );
    expect(normalized(await storage.read(runId))).toEqual(normalized(before));
    expect(before?.run).toMatchObject({ status: 'completed', owner: null });
    expect(await raw.readRun(runId)).toMatchObject({ status: 'completed', owner: null });
  });
};
