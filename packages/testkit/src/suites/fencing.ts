import { durable } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import {
  eventually,
  expectErr,
  gate,
  LEASE_EXPIRY,
  LEASE_MS,
  NO_CLEANUPS,
  newClock,
  normalized,
  processOn,
  type SuiteContext,
  stepKeyOf,
  uniqueRunId,
} from '../context.ts';

/** semantics §6: writes are fenced by the lease; a live process keeps its lease. */
export const fencingSuite = ({ harness }: SuiteContext) => {
  it('fences a stale owner after a takeover: its steps, cleanups and completion are refused', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('stale-owner');
    const registry = { undo: () => undefined };
    const stale = await processOn(storage, clock).load(registry, runId);
    await R.beforeRisky(storage)(stale)('undo')({});
    clock.advance(LEASE_EXPIRY);
    const fresh = await processOn(storage, clock).load(registry, runId);
    const freshOwner = (await storage.read(runId))?.run.owner;
    let ran = false;
    await expectErr(
      R.durable(storage)(stale)('late')({})(() => (ran = true)),
      'LeaseLost',
    );
    expect(ran).toBe(false);
    await expectErr(R.beforeRisky(storage)(stale)('undo')({}), 'LeaseLost');
    await expectErr(R.complete(storage)(stale), 'LeaseLost');
    await expectErr(R.fail(storage)(stale)(new Error('x')), 'LeaseLost');
    const stored = await storage.read(runId);
    expect(stored?.run).toMatchObject({ status: 'running', owner: freshOwner });
    expect(stored?.steps).toEqual([]);
    expect(await raw.readRun(runId)).toMatchObject({ status: 'running', owner: freshOwner, stepKeys: [] });
    expect((await R.complete(storage)(fresh)).isOk()).toBe(true);
  });

  it('refuses every fenced contract call from a non-owner and changes nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('fenced-contract');
    const cp = await processOn(storage, newClock()).load({ undo: () => undefined }, runId);
    await durable(storage)(cp)('s')({})(() => 1);
    await R.beforeRisky(storage)(cp)('undo')({});
    const before = normalized(await storage.read(runId));
    const owner = 'not-the-owner';
    const key = await stepKeyOf('t', {});
    const outcomes = await Promise.all([
      storage.putStep({ runId, owner, record: { key, name: 't', seq: 99, output: '1', at: 0 } }),
      storage.putCleanup({ runId, owner, record: { id: 100, name: 'undo', seq: 100, params: '{}', at: 0 } }),
      storage.removeCleanup({ runId, owner, id: before?.cleanups[0]?.id ?? 0 }),
      storage.rollback({ runId, owner, cleanupId: before?.cleanups[0]?.id ?? 0, afterSeq: 0 }),
      storage.setLease({ runId, owner, leaseExpiresAt: 1, now: 1 }),
      storage.finish({ runId, owner, status: 'completed', at: 1, error: null, dropCleanups: true }),
    ]);
    expect(outcomes).toEqual([
      { kind: 'lease-lost' },
      'lease-lost',
      'lease-lost',
      'lease-lost',
      'lease-lost',
      'lease-lost',
    ]);
    expect(normalized(await storage.read(runId))).toEqual(before);
    const absent = uniqueRunId('fenced-absent');
    expect(await storage.setLease({ runId: absent, owner, leaseExpiresAt: 1, now: 1 })).toBe('lease-lost');
    expect(await storage.read(absent)).toBeUndefined();
  });

  it('finish is idempotent for a resent request, and only for that', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('finish-twice');
    await processOn(storage, newClock()).load(NO_CLEANUPS, runId);
    const owner = (await storage.read(runId))?.run.owner as string;
    const request = { runId, owner, status: 'completed' as const, at: 5, error: null, dropCleanups: true };
    expect(await storage.finish(request)).toBe('ok');
    const finished = normalized(await storage.read(runId));
    expect(await storage.finish(request)).toBe('ok');
    expect(normalized(await storage.read(runId))).toEqual(finished);
    expect(await storage.finish({ ...request, status: 'failed', error: '"x"' })).toBe('lease-lost');
    expect(normalized(await storage.read(runId))).toEqual(finished);
  });

  it('renews the lease while a long step runs, so the run is not stolen from a live process', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('renewal');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    const slow = gate<string>();
    const started = gate();
    const running = durable(storage)(cp)('slow')({})(() => {
      started.open();
      return slow.promise;
    });
    await started.promise;
    for (let waited = 0; waited < LEASE_MS * 3; waited += LEASE_MS / 3) {
      const renewedTo = clock.now() + LEASE_MS / 3 + LEASE_MS;
      clock.advance(LEASE_MS / 3);
      await eventually(async () => ((await storage.read(runId))?.run.leaseExpiresAt ?? 0) >= renewedTo);
      await expectErr(R.load(storage, { clock, leaseMs: LEASE_MS })(NO_CLEANUPS)(runId), 'RunBusy');
    }
    slow.open('done');
    expect(await running).toBe('done');
    expect((await storage.read(runId))?.steps.map((s) => s.name)).toEqual(['slow']);
  });

  it('stops renewing once the run is idle, so an abandoned run can be taken over', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('abandoned');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    await durable(storage)(cp)('only')({})(() => 1);
    // The workflow "throws" here and is never resumed in this process.
    // A renewal still in flight would be fenced off by the takeover: its owner is the old one.
    clock.advance(LEASE_EXPIRY);
    const next = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    expect(next.attempt).toBe(2);
  });
};
