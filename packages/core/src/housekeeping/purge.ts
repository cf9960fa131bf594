import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { checkInstant, checkNumber, checkObject } from '../arguments.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { InvalidArgument, StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { RUN_STATUSES, type RunStatus, type Storage } from '../storage/contract.ts';

export type PurgeRunsQuery = {
  /** Statuses to purge; default `['completed']`. */
  readonly statuses?: readonly RunStatus[];
  /** Runs deleted per storage call, 1 to 10 000; default 1000. */
  readonly batch?: number;
} & ({ readonly before: Date | number } | { readonly olderThanMs: number });

/**
 * Deletes finished runs last updated before a cutoff (or older than a TTL), in batches, and
 * resolves how many went. `running` runs are never purged unless asked for by status. A run is
 * deleted only if it still matches when the storage deletes it: one claimed meanwhile is kept.
 */
export const purgeRuns =
  (storage: Storage, options: { clock?: Clock } = {}) =>
  (query: PurgeRunsQuery): ResultAsync<number, InvalidArgument | StorageUnavailable> => {
    const object = checkObject('query', query);
    if (object.isErr()) return errAsync(object.error);
    const clock = options.clock ?? systemClock;
    const cutoff =
      'before' in query
        ? checkInstant('before', query.before)
        : checkNumber('olderThanMs', query.olderThanMs, { min: 0 }).map((ms) => clock.now() - ms);
    if (cutoff.isErr()) return errAsync(cutoff.error);
    const batch = checkNumber('batch', query.batch ?? 1000, { min: 1, max: 10_000, integer: true });
    if (batch.isErr()) return errAsync(batch.error);
    const statuses = query.statuses ?? ['completed'];
    if (!Array.isArray(statuses) || statuses.some((s) => !RUN_STATUSES.includes(s))) {
      return errAsync({ type: 'InvalidArgument', argument: 'statuses', reason: 'expected run statuses' });
    }
    const updatedBefore = cutoff.value;
    const limit = batch.value;
    const round = (total: number): ResultAsync<number, StorageUnavailable> =>
      callStorage(storage, 'purge', { statuses, updatedBefore, limit }).andThen((deleted) =>
        deleted < limit ? okAsync(total + deleted) : round(total + deleted),
      );
    return round(0);
  };
