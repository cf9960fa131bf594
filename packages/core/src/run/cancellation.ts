import { err, type Result } from 'neverthrow';
import { callStorage } from '../storage/call.ts';
import { settled } from './activity.ts';
import { compensate, INTERRUPTED } from './compensate.ts';
import { fencedWrite } from './gateway.ts';
import type { RunHandle } from './handle.ts';
import { release } from './lease.ts';
import type { UndoError, UndoOutcome } from './state.ts';

/**
 * Undoes a run that was cancelled while this process held it (or that a load found cancelled).
 * `cancel` leaves the owner its lease, so nobody else undoes the run meanwhile. First every step
 * and cleanup function of the run still running here ends (a cleanup must not run before the
 * effect it undoes has landed); then the pending cleanups run newest first; then the run is
 * recorded `cancelled` for good, owner cleared. A cleanup that fails stays pending and the lease
 * is released, so that the next load, in any process, retries it at once.
 */
export const undoCancelled = async (run: RunHandle): Promise<Result<never, UndoOutcome>> => {
  await settled(run.activity, run.clock, run.leaseMs);
  const undone = await compensate(run, 'cancelled', 'storage');
  if (undone.isErr())
    return undone.error === INTERRUPTED ? lostWhileUndoing(run) : gaveUp(run, undone.error as UndoError);
  const finished = await fencedWrite(run, {
    op: 'finish',
    undoing: true,
    send: () =>
      callStorage(run.storage, 'finish', {
        runId: run.runId,
        owner: run.owner,
        status: 'cancelled',
        at: run.clock.now(),
        error: null,
        dropCleanups: false,
      }),
    verdict: (answer) => answer,
  });
  if (finished.isErr()) {
    return finished.error.type === 'StorageUnavailable' ? gaveUp(run, finished.error) : lostWhileUndoing(run);
  }
  run.keeper.stop();
  run.emit({ type: 'run.cancelled', runId: run.runId, cleanupsRun: [...run.cleanupsRun] });
  return err({ type: 'Cancelled', runId: run.runId, cleanupsRun: [...run.cleanupsRun] });
};

const gaveUp = async (run: RunHandle, error: UndoError): Promise<Result<never, UndoOutcome>> => {
  run.keeper.stop();
  await release(run);
  return err(error);
};

/** Another owner took the run over while this process undid it: that owner goes on undoing. */
const lostWhileUndoing = (run: RunHandle): Result<never, UndoOutcome> =>
  err({ type: 'LeaseLost', runId: run.runId, op: 'cancel' });
