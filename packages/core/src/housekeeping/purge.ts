import { okAsync, type ResultAsync } from 'neverthrow';
import { type Clock, systemClock } from '../clock.ts';
import type { StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { RunStatus, Storage } from '../storage/contract.ts';

export type PurgeRunsQuery = {
  /** Statuses to purge; default `['completed']`. */
  readonly statuses?: readonly RunStatus[];
  /** Runs deleted per storage call; default 1000. */
  readonly batch?: number;
} & ({ readonly before: Date | number } | { readonly olderThanMs: number });

/**
 * Deletes finished runs last updated before a cutoff (or older than a TTL), in batches, and
 * resolves how many went. `running` runs are never purged unless asked for by status.
 */
export const purgeRuns =
  (storage: Storage, options: { clock?: Clock } = {}) =>
  (query: PurgeRunsQuery): ResultAsync<number, StorageUnavailable> => {
    const clock = options.clock ?? systemClock;
    const updatedBefore = 'before' in query ? Number(query.before) : clock.now() - query.olderThanMs;
    const statuses = query.statuses ?? ['completed'];
    const limit = query.batch ?? 1000;
    const round = (total: number): ResultAsync<number, StorageUnavailable> =>
      callStorage(storage, 'purge', { statuses, updatedBefore, limit }).andThen((deleted) =>
        deleted < limit ? okAsync(total + deleted) : round(total + deleted),
      );
    return round(0);
  };
