import type { ResultAsync } from 'neverthrow';
import type { StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { RunHead, RunStatus, Storage } from '../storage/contract.ts';

export interface ListRunsQuery {
  readonly status?: RunStatus | readonly RunStatus[];
  /** Only runs last updated before this instant (a Date or epoch ms). */
  readonly updatedBefore?: Date | number;
  /** Page size, default 100. */
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
  (query: ListRunsQuery = {}): ResultAsync<RunPage, StorageUnavailable> =>
    pageOf(storage, {
      ...(query.status === undefined ? {} : { statuses: ([] as RunStatus[]).concat(query.status) }),
      ...(query.updatedBefore === undefined ? {} : { updatedBefore: Number(query.updatedBefore) }),
      limit: query.limit ?? DEFAULT_PAGE,
      cursor: query.cursor,
    });

export const pageOf = (
  storage: Storage,
  query: {
    statuses?: readonly RunStatus[];
    updatedBefore?: number;
    leaseExpiredAt?: number;
    limit: number;
    cursor: string | undefined;
  },
): ResultAsync<RunPage, StorageUnavailable> => {
  const { cursor, ...rest } = query;
  const after = cursor === undefined ? {} : { after: parseCursor(cursor) };
  return callStorage(storage, 'list', { ...rest, ...after }).map((runs) => {
    const last = runs.at(-1);
    return runs.length < query.limit || !last ? { runs } : { runs, next: makeCursor(last) };
  });
};

const makeCursor = (head: RunHead): string => JSON.stringify([head.updatedAt, head.runId]);

const parseCursor = (cursor: string): { updatedAt: number; runId: string } => {
  const [updatedAt, runId] = JSON.parse(cursor) as [number, string];
  return { updatedAt, runId };
};
