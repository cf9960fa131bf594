import { errAsync, ok, type ResultAsync } from 'neverthrow';
import { type Checked, checkInstant, checkLimit, checkObject, invalid } from '../arguments.ts';
import type { InvalidArgument, StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { RUN_STATUSES, type RunHead, type RunStatus, type Storage } from '../storage/contract.ts';

export interface ListRunsQuery {
  readonly status?: RunStatus | readonly RunStatus[];
  /** Only runs last updated before this instant (a Date or epoch ms). */
  readonly updatedBefore?: Date | number;
  /** Page size, 1 to 10 000; default 100. */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly cursor?: string;
}

export interface RunPage {
  readonly runs: readonly RunHead[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly next?: string;
}

export const DEFAULT_PAGE = 100;

/** Run heads by status and age, oldest first, a page at a time. */
export const listRuns =
  (storage: Storage) =>
  (query: ListRunsQuery = {}): ResultAsync<RunPage, InvalidArgument | StorageUnavailable> => {
    const object = checkObject('query', query);
    if (object.isErr()) return errAsync(object.error);
    const statuses = query.status === undefined ? ok(undefined) : checkStatuses(query.status);
    if (statuses.isErr()) return errAsync(statuses.error);
    const updatedBefore =
      query.updatedBefore === undefined ? ok(undefined) : checkInstant('updatedBefore', query.updatedBefore);
    if (updatedBefore.isErr()) return errAsync(updatedBefore.error);
    return pageOf(storage, {
      ...(statuses.value === undefined ? {} : { statuses: statuses.value }),
      ...(updatedBefore.value === undefined ? {} : { updatedBefore: updatedBefore.value }),
      limit: query.limit,
      cursor: query.cursor,
    });
  };

const checkStatuses = (status: RunStatus | readonly RunStatus[]): Checked<readonly RunStatus[]> => {
  const statuses = ([] as RunStatus[]).concat(status);
  const unknown = statuses.find((s) => !RUN_STATUSES.includes(s));
  return unknown === undefined
    ? ok(statuses)
    : invalid('status', `unknown status ${JSON.stringify(unknown)}`);
};

/** One page of run heads; the limit and cursor are checked before any I/O. */
/** A page of the runs `base` selects, as the caller's `query` (limit, cursor) asks. */
export const pageAsked = (
  storage: Storage,
  base: { statuses: readonly RunStatus[]; leaseExpiredAt: number },
  query: { limit?: number; cursor?: string },
): ResultAsync<RunPage, InvalidArgument | StorageUnavailable> => {
  const object = checkObject('query', query);
  if (object.isErr()) return errAsync(object.error);
  return pageOf(storage, { ...base, limit: query.limit, cursor: query.cursor });
};

export const pageOf = (
  storage: Storage,
  query: {
    statuses?: readonly RunStatus[];
    updatedBefore?: number;
    leaseExpiredAt?: number;
    limit: number | undefined;
    cursor: string | undefined;
  },
): ResultAsync<RunPage, InvalidArgument | StorageUnavailable> => {
  const { cursor, limit: asked, ...rest } = query;
  const limit = checkLimit('limit', asked);
  if (limit.isErr()) return errAsync(limit.error);
  const after = cursor === undefined ? ok(undefined) : parseCursor(cursor);
  if (after.isErr()) return errAsync(after.error);
  const pageSize = limit.value ?? DEFAULT_PAGE;
  return callStorage(storage, 'list', {
    ...rest,
    limit: pageSize,
    ...(after.value === undefined ? {} : { after: after.value }),
  }).map((runs) => {
    const last = runs.at(-1);
    return runs.length < pageSize || !last ? { runs } : { runs, next: makeCursor(last) };
  });
};

const makeCursor = (head: RunHead): string => JSON.stringify([head.updatedAt, head.runId]);

/** A cursor this module made: `[updatedAt, runId]`; anything else is refused, never thrown. */
const parseCursor = (cursor: string): Checked<{ updatedAt: number; runId: string }> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    return invalid('cursor', 'not a cursor returned by a page (not JSON)');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isFinite(parsed[0]) ||
    typeof parsed[1] !== 'string'
  ) {
    return invalid('cursor', 'not a cursor returned by a page');
  }
  return ok({ updatedAt: parsed[0], runId: parsed[1] });
};
