import type { ResultAsync } from 'neverthrow';
import { type Clock, systemClock } from '../clock.ts';
import type { InvalidArgument, StorageUnavailable } from '../errors.ts';
import { pageAsked, type RunPage } from '../housekeeping/list.ts';
import type { Storage } from '../storage/contract.ts';

/**
 * The suspended runs due now: their sleep ended, their wait timed out, or the signal they wait
 * for arrived. For a host that polls (a cron, a scheduled job): load each again. Paged like
 * `listRuns`.
 */
export const findDue =
  (storage: Storage, options: { readonly clock?: Clock } = {}) =>
  (
    query: { limit?: number; cursor?: string } = {},
  ): ResultAsync<RunPage, InvalidArgument | StorageUnavailable> =>
    pageAsked(
      storage,
      { statuses: ['suspended'], leaseExpiredAt: (options.clock ?? systemClock).now() },
      query,
    );
