import { beforeRisky, cancel, durable } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import { expectErr, gate, newClock, processOn, type SuiteContext, uniqueRunId } from '../context.ts';

/** Cancellation through the core: the owner notices, runs its cleanups, and the run stays cancelled. */
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

  it('a cancelled run whose cleanup fails keeps it pending and cancelled, and the next load retries it', async () => {
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
    await expectErr(R.load(storage, { clock })(registry)(runId), 'CleanupFailed');
    expect((await storage.read(runId))?.run.status).toBe('cancelled');
    const cancelled = await expectErr(R.load(storage, { clock })(registry)(runId), 'Cancelled');
    expect(cancelled.cleanupsRun).toEqual(['undo']);
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
