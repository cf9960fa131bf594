import {
  beforeRisky,
  durable,
  type Liveness,
  type LivenessCheck,
  load,
  manualClock,
  parseOwner,
  type Storage,
} from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import {
  expectErr,
  gate,
  LEASE_MS,
  newClock,
  normalized,
  type SuiteContext,
  uniqueRunId,
} from '../context.ts';
import { countingStorage } from '../counting.ts';

/** A check that proves dead exactly the owners whose identity is `dead`; `otherwise` for the rest. */
const deadOnly = (dead: string, otherwise: Liveness = 'unknown'): LivenessCheck => ({
  check: (owner) => (parseOwner(owner)?.identity === dead ? 'dead' : otherwise),
});

/**
 * A process that loaded the run, recorded a step, registered a cleanup and was killed: its lease
 * stays live (its clock never moves, so it never renews). Its owner identity is `identity`.
 */
const killedOwner = async (storage: Storage, runId: string, identity: string, undone: string[]) => {
  const registry = { undo: async () => void undone.push(identity) };
  const clock = newClock();
  const cp = await load(storage, { clock, leaseMs: LEASE_MS, ownerPrefix: identity })(registry)(runId);
  await durable(storage)(cp)('download')({ runId })(() => 'bytes');
  await beforeRisky(storage)(cp)('undo')({});
  return { cp, registry };
};

/**
 * Right after a crash, through the core: `load` with a liveness check takes a run over from an
 * owner the check proves dead, with the conditional claim (`ifOwner`), at once and exactly once,
 * and never from a live owner or one that moved on. Adapters need nothing for this beyond the
 * claim rules of the takeover suite.
 */
export const livenessSuite = ({ harness, options }: SuiteContext) => {
  it.each<Liveness | 'throws'>(['alive', 'unknown', 'throws'])(
    'never takes over a live owner (the check answers %s): RunBusy, the run unchanged, the owner goes on',
    async (answer) => {
      const { storage } = harness();
      const runId = uniqueRunId(`live-owner-${answer}`);
      const undone: string[] = [];
      const identity = `owner-${runId}`;
      const { cp, registry } = await killedOwner(storage, runId, identity, undone);
      const before = normalized(await storage.read(runId));
      const liveness: LivenessCheck = {
        check: () => {
          if (answer === 'throws') throw new Error('the check failed');
          return answer;
        },
      };
      const busy = await expectErr(
        R.load(storage, { clock: newClock(), liveness })(registry)(runId),
        'RunBusy',
      );
      expect(busy.leaseExpiresAt).toBe(before?.run.leaseExpiresAt);
      expect(normalized(await storage.read(runId))).toEqual(before);
      expect(undone).toEqual([]);
      // The owner was never fenced off.
      expect(await durable(storage)(cp)('process')({ runId })(() => 'done')).toBe('done');
    },
  );

  it("takes a dead owner's run over at once: two claims, its cleanups run, the dead owner fenced off", async () => {
    const { storage } = harness();
    const runId = uniqueRunId('dead-owner');
    const undone: string[] = [];
    const identity = `owner-${runId}`;
    const { cp: dead, registry } = await killedOwner(storage, runId, identity, undone);
    const counted = countingStorage(storage);
    const cp = await load(counted, { clock: newClock(), leaseMs: LEASE_MS, liveness: deadOnly(identity) })(
      registry,
    )(runId);
    expect(cp).toMatchObject({ attempt: 2, cleanupsRun: ['undo'] });
    expect(undone).toEqual([identity]);
    // The busy claim and the conditional one; then what any resume costs (the cleanup's rollback).
    expect(counted.calls.claim).toBe(2);
    expect(counted.calls.read).toBeUndefined();
    expect(await durable(counted)(cp)('download')({ runId })(() => 'again')).toBe('bytes');
    await expectErr(
      R.durable(storage)(dead)('late')({})(() => 'x'),
      'LeaseLost',
    );
    expect((await storage.read(runId))?.run).toMatchObject({ status: 'running', attempt: 2 });
  });

  it(`of ${options.concurrency} loaders racing for a dead owner's run, exactly one takes it over`, async () => {
    const { storage, reopen } = harness();
    const runId = uniqueRunId('dead-owner-race');
    const undone: string[] = [];
    const identity = `owner-${runId}`;
    const { registry } = await killedOwner(storage, runId, identity, undone);
    const storages = [storage, ...(await Promise.all([reopen(), reopen()]))];
    const clock = newClock();
    const outcomes = await Promise.all(
      Array.from({ length: options.concurrency }, (_, i) =>
        R.load(storages[i % storages.length] as Storage, {
          clock,
          leaseMs: LEASE_MS,
          liveness: deadOnly(identity),
        })(registry)(runId),
      ),
    );
    const won = outcomes.filter((o) => o.isOk());
    expect(won).toHaveLength(1);
    for (const outcome of outcomes) if (outcome.isErr()) expect(outcome.error.type).toBe('RunBusy');
    // The dead owner's cleanup ran once, by the winner; the run was claimed once more.
    expect(undone).toEqual([identity]);
    expect((await storage.read(runId))?.run.attempt).toBe(2);
  });

  it('leaves alone a run that moved on while the check was answering', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('dead-owner-moved-on');
    const undone: string[] = [];
    const identity = `owner-${runId}`;
    const { registry } = await killedOwner(storage, runId, identity, undone);
    const answered = gate<Liveness>();
    const asked = gate();
    const slow: LivenessCheck = {
      check: () => {
        asked.open();
        return answered.promise;
      },
    };
    const clock = newClock();
    const pending = R.load(storage, {
      clock,
      leaseMs: LEASE_MS,
      liveness: slow,
      livenessTimeoutMs: 10 * LEASE_MS,
    })(registry)(runId);
    await asked.promise;
    // Meanwhile the dead owner's lease ran out and another process resumed the run.
    const later = manualClock(clock.now() + LEASE_MS);
    const resumed = await load(storage, { clock: later, leaseMs: LEASE_MS, ownerPrefix: 'resumer' })(
      registry,
    )(runId);
    answered.open('dead');
    await expectErr(pending, 'RunBusy');
    expect(parseOwner((await storage.read(runId))?.run.owner ?? '')?.identity).toBe('resumer');
    expect(undone).toEqual([identity]);
    expect(await durable(storage)(resumed)('process')({ runId })(() => 'mine')).toBe('mine');
  });

  it('waits for a busy run with waitForLease, and claims it once the lease has run out', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('wait-for-lease');
    const undone: string[] = [];
    const identity = `owner-${runId}`;
    const { registry } = await killedOwner(storage, runId, identity, undone);
    const clock = newClock();
    let settled = false;
    const pending = (async () => {
      const cp = await load(storage, { clock, leaseMs: LEASE_MS, waitForLease: { timeoutMs: 2 * LEASE_MS } })(
        registry,
      )(runId);
      settled = true;
      return cp;
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    clock.advance(LEASE_MS);
    expect(await pending).toMatchObject({ attempt: 2, cleanupsRun: ['undo'] });
    expect(undone).toEqual([identity]);
  });
};
