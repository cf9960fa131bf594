import { beforeRisky, cancel, durable } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import {
  expectErr,
  gate,
  LEASE_EXPIRY,
  LEASE_MS,
  newClock,
  processOn,
  type SuiteContext,
  uniqueRunId,
} from '../context.ts';

/**
 * Cancellation through the core: the owner keeps its lease, notices at its next write, runs the
 * cleanups once its steps have ended, and the run stays cancelled; a dead owner's run is undone by
 * the first load after its lease.
 */
export const cancellationSuite = ({ harness }: SuiteContext) => {
  it('the owner gets Cancelled at its next step, after its running step ended, and runs its cleanups', async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('cancel-owner');
    const undone: string[] = [];
    const registry = { release: (p: Record<string, unknown>) => void undone.push(String(p.seat)) };
    const cp = await processOn(storage, clock).load(registry, runId);
    await beforeRisky(storage)(cp)('release')({ seat: '12A' });
    const inside = gate();
    const finishing = gate();
    const booking = R.durable(storage)(cp)('book')({ seat: '12A' })(async () => {
      inside.open();
      await finishing.promise;
      return 'booked';
    });
    await inside.promise;
    expect(await cancel(await reopen(), { clock })(runId)).toEqual({ runId, status: 'cancelled' });
    // The cleanup must not run while the step it undoes is still under way.
    expect(undone).toEqual([]);
    finishing.open();
    const cancelled = await expectErr(booking, 'Cancelled');
    expect(undone).toEqual(['12A']);
    expect(cancelled.cleanupsRun).toEqual(['release']);
    await expectErr(
      R.durable(storage)(cp)('next')({})(() => 1),
      'Cancelled',
    );
    expect((await storage.read(runId))?.run).toMatchObject({ status: 'cancelled', owner: null });
    expect((await storage.read(runId))?.cleanups).toEqual([]);
  });

  it('a later load never runs the workflow again: it answers Cancelled', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('cancel-final');
    const cp = await processOn(storage, clock).load({}, runId);
    await durable(storage)(cp)('one')({})(() => 1);
    await R.fail(storage)(cp)(new Error('boom'));
    expect(await cancel(storage, { clock })(runId)).toMatchObject({ status: 'cancelled' });
    for (let i = 0; i < 2; i++) {
      await expectErr(R.load(storage, { clock })({})(runId), 'Cancelled');
    }
    expect((await storage.read(runId))?.run.status).toBe('cancelled');
  });

  it('while its owner holds a cancelled run, another load answers RunBusy and runs no cleanup', async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('cancel-busy');
    const undone: string[] = [];
    const registry = { undo: () => void undone.push('undo') };
    const cp = await processOn(storage, clock).load(registry, runId);
    await beforeRisky(storage)(cp)('undo')({});
    const inside = gate();
    const finishing = gate();
    const step = R.durable(storage)(cp)('slow')({})(async () => {
      inside.open();
      await finishing.promise;
    });
    await inside.promise;
    const other = await reopen();
    await cancel(other, { clock })(runId);
    await expectErr(R.load(other, { clock, leaseMs: LEASE_MS })(registry)(runId), 'RunBusy');
    expect(undone).toEqual([]);
    finishing.open();
    expect((await expectErr(step, 'Cancelled')).cleanupsRun).toEqual(['undo']);
    expect(undone).toEqual(['undo']);
  });

  it('an owner that died after the cancel: the first load after its lease runs the cleanups', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('cancel-dead');
    const undone: string[] = [];
    const registry = { undo: () => void undone.push('undo') };
    // The owner dies: its own clock stops with it, so its lease keeper never renews again.
    const cp = await processOn(storage, newClock()).load(registry, runId);
    await beforeRisky(storage)(cp)('undo')({});
    await cancel(storage, { clock })(runId);
    clock.advance(LEASE_EXPIRY);
    const cancelled = await expectErr(
      R.load(storage, { clock, leaseMs: LEASE_MS })(registry)(runId),
      'Cancelled',
    );
    expect(cancelled.cleanupsRun).toEqual(['undo']);
    expect(undone).toEqual(['undo']);
    expect((await storage.read(runId))?.run).toMatchObject({ status: 'cancelled', owner: null });
  });

  it('a cleanup that fails while the owner undoes stays pending, and the next load retries it at once', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('cancel-cleanup-fails');
    let failures = 1;
    const registry = {
      undo: () => {
        if (failures-- > 0) throw new Error('not now');
      },
    };
    const cp = await processOn(storage, clock).load(registry, runId);
    await beforeRisky(storage)(cp)('undo')({});
    await cancel(storage, { clock })(runId);
    await expectErr(
      R.durable(storage)(cp)('next')({})(() => 1),
      'CleanupFailed',
    );
    const stored = await storage.read(runId);
    expect(stored?.run).toMatchObject({ status: 'cancelled', leaseExpiresAt: 0 });
    expect(stored?.cleanups.map((c) => c.name)).toEqual(['undo']);
    // Released: no wait for the lease.
    const cancelled = await expectErr(R.load(storage, { clock })(registry)(runId), 'Cancelled');
    expect(cancelled.cleanupsRun).toEqual(['undo']);
    expect((await storage.read(runId))?.cleanups).toEqual([]);
  });

  it('cancel of a completed run changes nothing; of an unknown run answers RunNotFound', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('cancel-done');
    const cp = await processOn(storage, clock).load({}, runId);
    await R.complete(storage)(cp);
    expect(await cancel(storage, { clock })(runId)).toEqual({ runId, status: 'completed' });
    await expectErr(R.cancel(storage)(uniqueRunId('nobody')), 'RunNotFound');
  });
};
