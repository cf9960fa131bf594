import { okAsync, type ResultAsync } from 'neverthrow';
import { systemClock } from '../clock.ts';
import type { DurableError, StorageUnavailable } from '../errors.ts';
import { finish } from '../run/finish.ts';
import { type LoadOptions, load } from '../run/load.ts';
import type { CleanupRegistry } from '../run/registry.ts';
import { sessionOf } from '../run/session.ts';
import type { RunHead, Storage } from '../storage/contract.ts';
import { DEFAULT_PAGE, pageOf, type RunPage } from './list.ts';

/** Runs left `running` whose lease has expired: their process died or gave up. */
export const findAbandoned =
  (storage: Storage, options: Pick<LoadOptions, 'clock'> = {}) =>
  (query: { limit?: number; cursor?: string } = {}): ResultAsync<RunPage, StorageUnavailable> =>
    pageOf(storage, {
      statuses: ['running'],
      leaseExpiredAt: (options.clock ?? systemClock).now(),
      limit: query.limit ?? DEFAULT_PAGE,
      cursor: query.cursor,
    });

export interface RecoverReport {
  /** Runs whose cleanups ran; they are now `compensated` and may be retried by a later load. */
  readonly recovered: readonly { readonly runId: string; readonly cleanupsRun: readonly string[] }[];
  /** Runs that could not be recovered now (busy again, a cleanup failed, storage error). */
  readonly failed: readonly { readonly runId: string; readonly error: DurableError }[];
}

/**
 * For a cron or an operator: claims each abandoned run, runs its pending cleanups (as a resume
 * would) and marks it `compensated`, releasing it. One run's failure does not stop the others.
 */
export const recoverAbandoned =
  (storage: Storage, options: LoadOptions = {}) =>
  (registry: CleanupRegistry) =>
  (query: { limit?: number } = {}): ResultAsync<RecoverReport, StorageUnavailable> =>
    findAbandoned(
      storage,
      options,
    )({ limit: query.limit ?? DEFAULT_PAGE }).andThen(({ runs }) =>
      runs.reduce<ResultAsync<RecoverReport, never>>(
        (report, head) =>
          report.andThen((done) => recoverOne(storage, options, registry, head).map(merge(done))),
        okAsync({ recovered: [], failed: [] }),
      ),
    );

type Outcome =
  | { ok: true; runId: string; cleanupsRun: readonly string[] }
  | { ok: false; runId: string; error: DurableError };

const recoverOne = (
  storage: Storage,
  options: LoadOptions,
  registry: CleanupRegistry,
  head: RunHead,
): ResultAsync<Outcome, never> =>
  load(
    storage,
    options,
  )(registry)(head.runId)
    .andThen((cp) =>
      finish(sessionOf(cp), storage, 'compensated', null, false).map(
        (): Outcome => ({ ok: true, runId: head.runId, cleanupsRun: cp.cleanupsRun }),
      ),
    )
    .orElse((error) => okAsync<Outcome, never>({ ok: false, runId: head.runId, error }));

const merge =
  (report: RecoverReport) =>
  (outcome: Outcome): RecoverReport =>
    outcome.ok
      ? {
          ...report,
          recovered: [...report.recovered, { runId: outcome.runId, cleanupsRun: outcome.cleanupsRun }],
        }
      : { ...report, failed: [...report.failed, { runId: outcome.runId, error: outcome.error }] };
