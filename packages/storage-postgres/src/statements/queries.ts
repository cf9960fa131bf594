import type { ListQuery, PurgeQuery, RunHead, RunSnapshot, RunStatus } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { isRunStatus } from '../statuses.ts';
import {
  cleanupColumns,
  HEAD_SELECT,
  headColumns,
  selectList,
  stepColumns,
  toHead,
  toSnapshot,
} from './rows.ts';
import type { Statement } from './statement.ts';

/** read: head, steps and cleanups from one snapshot. Params: $1 run id. */
export const readSql = (t: TableNames): string => `
SELECT ${selectList({ rec: `'run'`, ...headColumns('r') })} FROM ${t.runs} r WHERE r.run_id = $1::text
UNION ALL
SELECT ${selectList(stepColumns('s'))} FROM ${t.steps} s WHERE s.run_id = $1::text
UNION ALL
SELECT ${selectList(cleanupColumns('c'))} FROM ${t.cleanups} c WHERE c.run_id = $1::text`;

export const readStatement =
  (sql: string) =>
  (runId: string): Statement<RunSnapshot | undefined> => ({
    sql,
    params: [runId],
    parse: (rows) => toSnapshot(rows).snapshot,
  });

/**
 * `r.status IN ($k, …)` (runs aliased `r`) with one bound parameter per status. Statuses are checked against the closed
 * set too: an unknown one is a programming error, and the user's SQL text never varies with data.
 */
const statusFilter = (statuses: readonly RunStatus[], params: unknown[]): string => {
  for (const s of statuses) if (!isRunStatus(s)) throw new TypeError(`unknown run status ${String(s)}`);
  if (statuses.length === 0) return 'false';
  const placeholders = statuses.map((s) => {
    params.push(s);
    return `$${params.length}::text`;
  });
  return `r.status IN (${placeholders.join(', ')})`;
};

/**
 * list: only the filters the query has appear in the SQL, so the planner sees a plain predicate
 * per index: `(status, updated_at, run_id)` for one status, the partial index of running runs for
 * abandoned ones, `(updated_at, run_id)` otherwise; the cursor is a row comparison the index
 * range-scans, so every page costs the same however deep it is.
 */
/** How many due runs a page may read through the wake-time index, per run of the page. */
const DUE_CAP_PER_ROW = 10;

/**
 * list of the suspended runs that are due (findDue). Sleepers may be many and the due ones few, or
 * the other way round (a backlog): the due runs are first read through the wake-time index, at most
 * `cap` of them (`few`); when that is all of them, they are ordered and paged; when there are more,
 * the age index finds a page of them at once. Either way a page costs what it returns.
 */
const dueStatement = (
  t: TableNames,
  q: ListQuery & { leaseExpiredAt: number },
): Statement<readonly RunHead[]> => {
  const params: unknown[] = [q.leaseExpiredAt, q.limit * DUE_CAP_PER_ROW, q.limit];
  let cursor = '';
  if (q.after !== undefined) {
    params.push(q.after.updatedAt, q.after.runId);
    cursor = `AND (r.updated_at, r.run_id) > ($${params.length - 1}::bigint, $${params.length}::text)`;
  }
  const sql = `
WITH few AS (
  SELECT r.* FROM ${t.runs} r
  WHERE r.status = 'suspended' AND r.lease_expires_at <= $1::bigint ${cursor}
  ORDER BY r.lease_expires_at LIMIT $2::bigint
),
counted AS (SELECT count(*) AS n FROM few)
(SELECT ${HEAD_SELECT} FROM few r WHERE (SELECT n FROM counted) < $2::bigint
  ORDER BY r.updated_at, r.run_id LIMIT $3::bigint)
UNION ALL
(SELECT ${HEAD_SELECT} FROM ${t.runs} r
  WHERE (SELECT n FROM counted) >= $2::bigint
    AND r.status = 'suspended' AND r.lease_expires_at <= $1::bigint ${cursor}
  ORDER BY r.updated_at, r.run_id LIMIT $3::bigint)`;
  return { sql, params, parse: (rows: readonly Row[]) => rows.map(toHead) };
};

export const listStatement =
  (t: TableNames) =>
  (q: ListQuery): Statement<readonly RunHead[]> => {
    if (
      q.leaseExpiredAt !== undefined &&
      q.updatedBefore === undefined &&
      q.statuses?.length === 1 &&
      q.statuses[0] === 'suspended'
    ) {
      return dueStatement(t, { ...q, leaseExpiredAt: q.leaseExpiredAt });
    }
    const params: unknown[] = [];
    const bind = (value: unknown, type: string): string => {
      params.push(value);
      return `$${params.length}::${type}`;
    };
    const where: string[] = [];
    if (q.statuses !== undefined) where.push(statusFilter(q.statuses, params));
    if (q.updatedBefore !== undefined) where.push(`r.updated_at < ${bind(q.updatedBefore, 'bigint')}`);
    if (q.leaseExpiredAt !== undefined)
      where.push(`r.lease_expires_at <= ${bind(q.leaseExpiredAt, 'bigint')}`);
    if (q.after !== undefined) {
      where.push(
        `(r.updated_at, r.run_id) > (${bind(q.after.updatedAt, 'bigint')}, ${bind(q.after.runId, 'text')})`,
      );
    }
    const sql = `SELECT ${HEAD_SELECT} FROM ${t.runs} r
WHERE ${where.length > 0 ? where.join(' AND ') : 'true'}
ORDER BY r.updated_at, r.run_id
LIMIT ${bind(q.limit, 'bigint')}`;
    return { sql, params, parse: (rows: readonly Row[]) => rows.map(toHead) };
  };

/**
 * purge, first statement: choose the oldest matching runs (ids only, from the index that `list`
 * uses). Reads, so a resend changes nothing.
 */
export const choosePurgeStatement =
  (t: TableNames) =>
  (q: PurgeQuery): Statement<readonly string[]> => {
    const params: unknown[] = [];
    const statuses = statusFilter(q.statuses, params);
    params.push(q.updatedBefore, q.limit);
    const n = params.length;
    const sql = `SELECT r.run_id FROM ${t.runs} r
WHERE ${statuses} AND r.updated_at < $${n - 1}::bigint
ORDER BY r.updated_at, r.run_id
LIMIT $${n}::bigint`;
    return {
      sql,
      params,
      parse: (rows) =>
        rows.map((row) => {
          if (typeof row.run_id !== 'string')
            throw new TypeError(`postgres storage: purge chose ${String(row.run_id)}`);
          return row.run_id;
        }),
    };
  };

/**
 * purge, second statement: delete the chosen runs that still match the query, with their steps
 * and cleanups. Two statements rather than one so that a resent request deletes nothing its first
 * arrival did not choose (a resend of a choose-and-delete would choose the next batch):
 * - a run changed after the choice is deleted only if it still matches: the DELETE waits for a
 *   writer holding the row and re-checks its WHERE on the latest version (READ COMMITTED);
 * - a run deleted and created anew after our snapshot is not in it: only the version we saw is
 *   deleted, and the new run stays. A claim racing this DELETE waits for it and then creates the
 *   run anew (see claim.ts);
 * - a resent DELETE finds the chosen runs gone and answers fewer than it deleted.
 * The ids travel as one JSON text parameter, which every host binds (a bridge may not bind arrays).
 */
export const purgeChosenStatement =
  (t: TableNames) =>
  (q: PurgeQuery, chosen: readonly string[]): Statement<number> => {
    const params: unknown[] = [JSON.stringify(chosen)];
    const statuses = statusFilter(q.statuses, params);
    params.push(q.updatedBefore);
    const sql = `
WITH deleted AS (
  DELETE FROM ${t.runs} r
  WHERE r.run_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND ${statuses}
    AND r.updated_at < $${params.length}::bigint
  RETURNING r.run_id
),
steps AS (DELETE FROM ${t.steps} s USING deleted d WHERE s.run_id = d.run_id),
cleanups AS (DELETE FROM ${t.cleanups} c USING deleted d WHERE c.run_id = d.run_id)
SELECT count(*)::int AS deleted FROM deleted`;
    return {
      sql,
      params,
      parse: (rows) => {
        const n = Number(rows[0]?.deleted);
        if (!Number.isInteger(n))
          throw new Error(`postgres storage: purge returned ${String(rows[0]?.deleted)}`);
        return n;
      },
    };
  };
