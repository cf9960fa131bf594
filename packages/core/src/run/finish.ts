import { err, errAsync, ok, okAsync, type Result, ResultAsync } from 'neverthrow';
import type { InvalidArgument, NotEncodable, PayloadTooLarge, StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { Storage } from '../storage/contract.ts';
import { type Body, currentBody, othersSettled } from './activity.ts';
import { type CompensateError, compensate, INTERRUPTED } from './compensate.ts';
import { lastWrite, type Refusal, refusal } from './gateway.ts';
import { type Checkpoint, handleOf, type RunHandle } from './handle.ts';
import { encodeValue, errorAsValue } from './values.ts';

export interface CompleteReport {
  readonly runId: string;
  /** Cleanups still pending at completion: dropped, because success made them safe. */
  readonly droppedCleanups: readonly string[];
}

export type CompleteError = InvalidArgument | Refusal | StorageUnavailable;

/**
 * Marks the run completed and releases the lease. Pending cleanups are dropped and reported.
 * Completing a completed run (a replay) does nothing. A step of the run still running here is
 * awaited first: its effect belongs to the run, and its record is then refused (a workflow that
 * completes before its steps end has forgotten an `await`).
 */
export const complete =
  (storage: Storage) =>
  (cp: Checkpoint): ResultAsync<CompleteReport, CompleteError> => {
    const run = handleOf(storage, cp);
    if (run.isErr()) return errAsync(run.error);
    return new ResultAsync(completeRun(run.value, currentBody()));
  };

const completeRun = async (
  run: RunHandle,
  caller: Body | undefined,
): Promise<Result<CompleteReport, CompleteError>> => {
  if (run.state.kind === 'replaying') return ok({ runId: run.runId, droppedCleanups: [] });
  await othersSettled(run.activity, caller, run.clock, run.leaseMs);
  if (run.state.kind !== 'running') return refusal(run, 'complete');
  const droppedCleanups = run.pending.map((c) => c.name);
  const finished = await finishAs(run, 'completed', null);
  if (finished.isErr()) return err(finished.error);
  run.pending = [];
  run.emit({ type: 'run.completed', runId: run.runId, droppedCleanups });
  return ok({ runId: run.runId, droppedCleanups });
};

export interface FailReport {
  readonly runId: string;
  /** Cleanups that ran, newest first. */
  readonly cleanupsRun: readonly string[];
}

export type FailError = InvalidArgument | CompensateError | Refusal | NotEncodable | PayloadTooLarge;

/**
 * Fails the run now: once the run's other steps running here have ended, runs its pending
 * cleanups (newest first, rolling back the steps after each), records `error` and releases the
 * lease. The run is not completed, so a later load may retry it. If a cleanup fails, the run is
 * still recorded failed and that cleanup stays pending. On a run this process already let go of
 * — completed, failed, or parked by a sleep or a wait (a catch-all `catch (e) { await fail(cp)(e);
 * throw e }` sees the `Suspended`) — it does nothing.
 */
export const fail =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (error: unknown): ResultAsync<FailReport, FailError> => {
    const run = handleOf(storage, cp);
    if (run.isErr()) return errAsync(run.error);
    const { state } = run.value;
    if (
      state.kind === 'replaying' ||
      state.kind === 'suspended' ||
      (state.kind === 'ended' && state.status === 'failed')
    ) {
      return okAsync({ runId: run.value.runId, cleanupsRun: [] });
    }
    return new ResultAsync(failRun(run.value, error, currentBody()));
  };

/** `fail`, for a caller inside the run (a step whose retries are spent). */
export const failRun = async (
  run: RunHandle,
  error: unknown,
  caller: Body | undefined,
): Promise<Result<FailReport, FailError>> => {
  if (run.state.kind !== 'running') return refusal(run, 'fail');
  const encoded = encodeValue(run.codec, run.storage.maxValueBytes, 'error', errorAsValue(error));
  if (encoded.isErr()) return err(encoded.error);
  await othersSettled(run.activity, caller, run.clock, run.leaseMs);
  const before = run.cleanupsRun.length;
  const compensated = await compensate(run, 'running', 'storage');
  if (compensated.isErr() && compensated.error === INTERRUPTED) return refusal(run, 'fail');
  const recorded = await finishAs(run, 'failed', encoded.value);
  if (recorded.isErr()) return err(recorded.error);
  if (compensated.isErr()) return err(compensated.error as CompensateError);
  run.emit({ type: 'run.failed', runId: run.runId, error });
  return ok({ runId: run.runId, cleanupsRun: run.cleanupsRun.slice(before) });
};

/**
 * Records a final status and lets go of the run (the storage clears owner and lease): completed
 * runs replay from here on, failed or compensated ones refuse every further call.
 */
export const finishAs = (
  run: RunHandle,
  status: 'completed' | 'failed' | 'compensated',
  error: string | null,
): Promise<Result<unknown, Refusal>> =>
  lastWrite(
    run,
    {
      op: status === 'completed' ? 'complete' : 'fail',
      undoing: false,
      send: () =>
        callStorage(run.storage, 'finish', {
          runId: run.runId,
          owner: run.owner,
          status,
          at: run.clock.now(),
          error,
          dropCleanups: status === 'completed',
        }),
      verdict: (answer) => answer,
    },
    () => {
      run.leaseExpiresAt = 0;
      return status === 'completed' ? { kind: 'replaying' } : { kind: 'ended', status };
    },
  );
