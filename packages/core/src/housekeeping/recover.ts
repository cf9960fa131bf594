import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { checkObject } from '../arguments.ts';
import { systemClock } from '../clock.ts';
import type { DurableError, InvalidArgument, RunBusy, StorageUnavailable } from '../errors.ts';
import { finishAs } from '../run/finish.ts';
import { type LoadOptions, loadRun } from '../run/load.ts';
import type { CleanupRegistry } from '../run/registry.ts';
import type { RunHead, Storage } from '../storage/contract.ts';
import { DEFAULT_PAGE, pageAsked, type RunPage } from './list.ts';

/** Runs left `running` whose lease has expired: their process died or gave up. */
export const findAbandoned =
  (storage: Storage, options: Pick<LoadOptions, 'clock'> = {}) =>
  (
    query: { limit?: number; cursor?: string } = {},
  ): ResultAsync<RunPage, InvalidArgument | StorageUnavailable> =>
    pageAsked(
      storage,
      { statuses: ['running'], leaseExpiredAt: (options.clock ?? systemClock).now() },
      query,
    );

export interface RecoverReport {
  /** Runs whose cleanups ran; they are now `compensated` and may be retried by a later load. */
  readonly recovered: readonly { readonly runId: string; readonly cleanupsRun: readonly string[] }[];
  /**
   * Runs that could not be recovered now: a cleanup failed, storage failed, or the run moved on
   * since it was listed (resumed, parked or finished by another process: `RunBusy`, left alone).
   */
  readonly failed: readonly { readonly runId: string; readonly error: DurableError }[];
}

/**
 * For a cron or an operator: takes over each abandoned run — only from the owner and lease it was
 * listed with, so a run that was resumed, renewed, parked or finished meanwhile is left alone — runs its pending
 * cleanups (as a resume would) and marks it `compensated`, releasing it. One run's failure does
 * not stop the others.
 */
export const recoverAbandoned =
  (storage: Storage, options: LoadOptions = {}) =>
  (registry: CleanupRegistry) =>
  (query: { limit?: number } = {}): ResultAsync<RecoverReport, InvalidArgument | StorageUnavailable> => {
    const object = checkObject('query', query);
    if (object.isErr()) return errAsync(object.error);
    return findAbandoned(
      storage,
      options,
    )({ limit: query.limit ?? DEFAULT_PAGE }).andThen(
      ({ runs }) => new ResultAsync(recoverEach(storage, options, registry, runs)),
    );
  };

const recoverEach = async (
  storage: Storage,
  options: LoadOptions,
  registry: CleanupRegistry,
  runs: readonly RunHead[],
): Promise<Result<RecoverReport, never>> => {
  const recovered: { runId: string; cleanupsRun: readonly string[] }[] = [];
  const failed: { runId: string; error: DurableError }[] = [];
  for (const head of runs) {
    if (head.owner === null) continue;
    const outcome = await recoverOne(storage, options, registry, { ...head, owner: head.owner });
    if (outcome.isOk()) recovered.push({ runId: head.runId, cleanupsRun: outcome.value });
    else failed.push({ runId: head.runId, error: outcome.error });
  }
  return ok({ recovered, failed });
};

const movedOn = (head: RunHead): RunBusy => ({
  type: 'RunBusy',
  runId: head.runId,
  leaseExpiresAt: head.leaseExpiresAt,
});

const recoverOne = async (
  storage: Storage,
  options: LoadOptions,
  registry: CleanupRegistry,
  head: RunHead & { readonly owner: string },
): Promise<Result<readonly string[], DurableError>> => {
  const run = await loadRun(storage, options, registry, head.runId, head);
  if (run.isErr()) return err(run.error);
  // Completed since it was listed: a claim answers a completed run with its records whatever
  // owner it expected, so this is how "finished meanwhile" shows here. Left alone, like any run
  // that moved on.
  if (run.value.state.kind === 'replaying') return err(movedOn(head));
  const finished = await finishAs(run.value, 'compensated', null);
  return finished.isErr() ? err(finished.error) : ok([...run.value.cleanupsRun]);
};
