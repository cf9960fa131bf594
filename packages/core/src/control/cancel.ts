import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { type Clock, systemClock } from '../clock.ts';
import type { InvalidRunId, RunNotFound, StorageUnavailable } from '../errors.ts';
import { checkRunId } from '../run/names.ts';
import { callStorage } from '../storage/call.ts';
import type { Storage } from '../storage/contract.ts';

export interface CancelReport {
  readonly runId: string;
  /** `completed`: too late, the run had finished and stays completed. */
  readonly status: 'cancelled' | 'completed';
}

/**
 * Cancels a run from any process: `cancel(storage)(runId)`. One storage write. The owner, if
 * one is running it, gets a typed `Cancelled` at its next step, cleanup or lease renewal and
 * runs the pending cleanups; a parked or failed run has them run by its next load. A cancelled
 * run never runs a step again.
 */
export const cancel =
  (storage: Storage, options: { readonly clock?: Clock } = {}) =>
  (runId: string): ResultAsync<CancelReport, InvalidRunId | RunNotFound | StorageUnavailable> => {
    const checked = checkRunId(runId);
    if (checked.isErr()) return errAsync(checked.error);
    const at = (options.clock ?? systemClock).now();
    return callStorage(storage, 'cancel', { runId, at }).andThen((outcome) =>
      outcome.kind === 'not-found'
        ? errAsync<never, RunNotFound>({ type: 'RunNotFound', runId })
        : okAsync({ runId, status: outcome.kind }),
    );
  };
