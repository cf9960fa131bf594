import { afterSafe, beforeRisky, durable, findDue, suspensionOf } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import { expectErr, LEASE_MS, newClock, processOn, type SuiteContext, uniqueRunId } from '../context.ts';

const HOUR = 3_600_000;

/** Durable sleep through the core: park, release the lease, wake when due, never sleep twice. */
export const durableSleepSuite = ({ harness }: SuiteContext) => {
  it('suspends with the wake time, releases the run, and goes past the sleep once it is due', async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('sleep');
    let before = 0;
    let after = 0;
    const workflow = async (s: typeof storage) => {
      const cp = await processOn(s, clock).load({}, runId);
      await durable(s)(cp)('before')({})(() => ++before);
      await R.sleep(s)(cp)('nap')(HOUR).match(
        () => undefined,
        (e) => {
          throw e;
        },
      );
      await durable(s)(cp)('after')({})(() => ++after);
      await R.complete(s)(cp);
    };
    const start = clock.now();
    const parked = await workflow(storage).catch((e: unknown) => e);
    expect(suspensionOf(parked)).toMatchObject({
      type: 'Suspended',
      runId,
      reason: 'sleep',
      name: 'nap',
      resumeAt: start + HOUR,
    });
    expect((await storage.read(runId))?.run).toMatchObject({
      status: 'suspended',
      owner: null,
      leaseExpiresAt: start + HOUR,
    });
    // Not due yet: a poll does not find it, and a load parks it again without running anything.
    expect((await findDue(storage, { clock })({ limit: 1000 })).runs.map((r) => r.runId)).not.toContain(
      runId,
    );
    clock.advance(HOUR / 2);
    expect(suspensionOf(await workflow(storage).catch((e: unknown) => e))?.resumeAt).toBe(start + HOUR);
    clock.advance(HOUR / 2);
    const other = await reopen();
    expect((await findDue(other, { clock })({ limit: 1000 })).runs.map((r) => r.runId)).toContain(runId);
    await workflow(other);
    expect({ before, after }).toEqual({ before: 1, after: 1 });
    expect((await storage.read(runId))?.run.status).toBe('completed');
  });

  it('keeps a cleanup registered before the sleep pending, without running it on wake-up', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('sleep-in-window');
    const undone: unknown[] = [];
    let charges = 0;
    const registry = { refund: (p: Record<string, unknown>) => void undone.push(p) };
    const workflow = async () => {
      const cp = await processOn(storage, clock).load(registry, runId);
      await beforeRisky(storage)(cp)('refund')({ order: 7 });
      await durable(storage)(cp)('charge')({ order: 7 })(() => ++charges);
      const slept = await R.sleep(storage)(cp)('settle')(HOUR);
      if (slept.isErr()) return slept.error;
      await afterSafe(storage)(cp)('refund');
      return R.complete(storage)(cp);
    };
    expect(await workflow()).toMatchObject({ type: 'Suspended' });
    expect((await storage.read(runId))?.cleanups.map((c) => c.name)).toEqual(['refund']);
    clock.advance(HOUR);
    const done = await workflow();
    expect(done).toMatchObject({ value: { droppedCleanups: [] } });
    expect({ charges, undone }).toEqual({ charges: 1, undone: [] });
    expect((await storage.read(runId))?.cleanups).toEqual([]);
  });

  it('lets a crash after the wake-up compensate as usual', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('sleep-then-crash');
    const undone: unknown[] = [];
    const registry = { refund: (p: Record<string, unknown>) => void undone.push(p) };
    const cp = await processOn(storage, clock).load(registry, runId);
    await beforeRisky(storage)(cp)('refund')({ order: 8 });
    await expectErr(R.sleep(storage)(cp)('settle')(HOUR), 'Suspended');
    clock.advance(HOUR);
    const woken = await processOn(storage, clock).load(registry, runId);
    expect(woken.cleanupsRun).toEqual([]);
    await beforeRisky(storage)(woken)('refund')({ order: 8 });
    // The process dies here, before afterSafe: the next load after its lease runs the refund once.
    clock.advance(LEASE_MS * 2);
    const recovered = await processOn(storage, clock).load(registry, runId);
    expect(recovered.cleanupsRun).toEqual(['refund']);
    expect(undone).toEqual([{ order: 8 }]);
  });
};
