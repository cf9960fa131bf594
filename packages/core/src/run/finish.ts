import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { NotEncodable, PayloadTooLarge } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { FinishRequest, Storage } from '../storage/contract.ts';
import { fencedOff, type Refused, refused } from './cancellation.ts';
import { type CompensateError, compensate } from './compensate.ts';
import { type Checkpoint, type Session, sessionOf } from './session.ts';
import { encodeValue, errorAsValue } from './values.ts';

export interface CompleteReport {
  readonly runId: string;
  /** Cleanups still pending at completion: dropped, because success made them safe. */
  readonly droppedCleanups: readonly string[];
}

/**
 * Marks the run completed and releases the lease (SPEC 5). Pending cleanups are dropped and
 * reported. Completing a completed run (a replay) is a no-op.
 */
export const complete =
  (storage: Storage) =>
  (cp: Checkpoint): ResultAsync<CompleteReport, Refused> => {
    const session = sessionOf(cp);
    if (session.completed) return okAsync({ runId: session.runId, droppedCleanups: [] });
    if (session.lost) return refused(session, 'complete');
    const droppedCleanups = session.pending.map((c) => c.name);
    return finish(session, storage, 'completed', null, true).map(() => {
      session.completed = true;
      session.pending = [];
      session.emit({ type: 'run.completed', runId: session.runId, droppedCleanups });
      return { runId: session.runId, droppedCleanups };
    });
  };

export interface FailReport {
  readonly runId: string;
  /** Cleanups that ran, newest first. */
  readonly cleanupsRun: readonly string[];
}

export type FailError = CompensateError | Refused | NotEncodable | PayloadTooLarge;

/**
 * Fails the run now (SPEC 6): runs its pending cleanups (newest first, rolling back the steps
 * after each), records `error` and releases the lease. The run is not completed, so a later load
 * may retry it. If a cleanup fails, the run is still marked failed and that cleanup stays pending.
 */
export const fail =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (error: unknown): ResultAsync<FailReport, FailError> => {
    const session = sessionOf(cp);
    // Already failed by a step that exhausted its retries, or parked by a sleep or a wait (a
    // catch-all `catch (e) { await fail(cp)(e); throw e }` sees the Suspended): nothing to do.
    if (session.completed || session.finished === 'failed' || session.finished === 'suspended') {
      return okAsync({ runId: session.runId, cleanupsRun: [] });
    }
    if (session.lost) return refused(session, 'fail');
    const encoded = encodeValue(session.codec, storage.maxValueBytes, 'error', errorAsValue(error));
    if (encoded.isErr()) return errAsync(encoded.error);
    const before = session.cleanupsRun.length;
    const record = () => finish(session, storage, 'failed', encoded.value, false);
    return compensate(session, storage)
      .orElse((cleanupError) => record().andThen(() => errAsync(cleanupError)))
      .andThen(record)
      .map(() => {
        session.emit({ type: 'run.failed', runId: session.runId, error });
        return { runId: session.runId, cleanupsRun: session.cleanupsRun.slice(before) };
      });
  };

/** Sets a final status; the storage clears owner and lease. Stops lease renewal either way. */
export const finish = (
  session: Session,
  storage: Storage,
  status: FinishRequest['status'],
  error: string | null,
  dropCleanups: boolean,
): ResultAsync<void, Refused> => {
  session.keeper.stop();
  return callStorage(storage, 'finish', {
    runId: session.runId,
    owner: session.owner,
    status,
    at: session.clock.now(),
    error,
    dropCleanups,
  }).andThen((outcome) => {
    if (outcome === 'lease-lost') return fencedOff(session, 'finish');
    session.leaseExpiresAt = 0;
    session.finished = status;
    // The owner is cleared in storage: any further write of this process is fenced off.
    session.lost = status !== 'completed';
    return okAsync(undefined);
  });
};
