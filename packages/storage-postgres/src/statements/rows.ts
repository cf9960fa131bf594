import type { CleanupRecord, RunHead, RunSnapshot, RunStatus, StepRecord } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import { isRunStatus } from '../statuses.ts';

/**
 * One row layout for every statement that returns a run with its records (claim, read): a head
 * row (`rec = 'run'`), one row per step and one per cleanup, as a UNION ALL. Rows rather than a
 * JSON aggregate: a 1 MB output travels as-is, with no escaping and no 1 GB cap on the sum.
 * Numbers leave the database as float8 / int4, which every client (pg, a JSON bridge) turns into
 * a JS number: BIGINT would arrive as a string. Epoch ms and seqs are exact in a float8.
 */
const COLUMNS = {
  rec: 'text',
  outcome: 'text',
  previous_status: 'text',
  run_id: 'text',
  status: 'text',
  owner: 'text',
  lease_expires_at: 'float8',
  attempt: 'int4',
  created_at: 'float8',
  updated_at: 'float8',
  error: 'text',
  key: 'text',
  name: 'text',
  id: 'float8',
  seq: 'float8',
  value: 'text',
  at: 'float8',
} as const;

type Column = keyof typeof COLUMNS;

/** A SELECT list in the shared layout: the given expressions, NULL for the other columns. */
export const selectList = (values: Partial<Record<Column, string>>): string =>
  (Object.keys(COLUMNS) as Column[]).map((c) => `(${values[c] ?? 'NULL'})::${COLUMNS[c]} AS ${c}`).join(', ');

/** The head columns of the runs table aliased `alias`, for `selectList`. */
export const headColumns = (alias: string): Partial<Record<Column, string>> => ({
  run_id: `${alias}.run_id`,
  status: `${alias}.status`,
  owner: `${alias}.owner`,
  lease_expires_at: `${alias}.lease_expires_at`,
  attempt: `${alias}.attempt`,
  created_at: `${alias}.created_at`,
  updated_at: `${alias}.updated_at`,
  error: `${alias}.error`,
});

export const stepColumns = (alias: string): Partial<Record<Column, string>> => ({
  rec: `'step'`,
  key: `${alias}.step_key`,
  name: `${alias}.name`,
  seq: `${alias}.seq`,
  value: `${alias}.output`,
  at: `${alias}.at`,
});

export const cleanupColumns = (alias: string): Partial<Record<Column, string>> => ({
  rec: `'cleanup'`,
  id: `${alias}.cleanup_id`,
  name: `${alias}.name`,
  seq: `${alias}.seq`,
  value: `${alias}.params`,
  at: `${alias}.at`,
});

/**
 * The head columns of runs aliased `r`, for `list`. The casts keep the column names, so ORDER BY
 * and WHERE must say `r.updated_at` (the BIGINT column, which the indexes cover), never the bare
 * name, which would mean the float8 output column and force a sort of every matching row.
 */
export const HEAD_SELECT = `r.run_id, r.status, r.owner, r.lease_expires_at::float8 AS lease_expires_at, r.attempt,
  r.created_at::float8 AS created_at, r.updated_at::float8 AS updated_at, r.error`;

// Parsing is explicit, not a cast: a bridge that returns numbers as strings must still work, and
// a row that is not what we wrote must fail loudly instead of turning into NaN or "null".
const text = (row: Row, column: string): string => {
  const v = row[column];
  if (typeof v !== 'string')
    throw new TypeError(`postgres storage: column ${column} is not text: ${String(v)}`);
  return v;
};

const nullableText = (row: Row, column: string): string | null =>
  row[column] === null || row[column] === undefined ? null : text(row, column);

export const num = (row: Row, column: string): number => {
  const v = row[column];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n))
    throw new TypeError(`postgres storage: column ${column} is not a number: ${String(v)}`);
  return n;
};

const statusIn = (row: Row, column: string): RunStatus => {
  const s = text(row, column);
  if (!isRunStatus(s)) throw new TypeError(`postgres storage: unknown run status ${s}`);
  return s;
};

const status = (row: Row): RunStatus => statusIn(row, 'status');

/** A status column that may be NULL (claim's `previous_status` when it created the run). */
export const nullableStatus = (row: Row, column: string): RunStatus | null =>
  row[column] === null || row[column] === undefined ? null : statusIn(row, column);

export const toHead = (row: Row): RunHead => ({
  runId: text(row, 'run_id'),
  status: status(row),
  owner: nullableText(row, 'owner'),
  leaseExpiresAt: num(row, 'lease_expires_at'),
  attempt: num(row, 'attempt'),
  createdAt: num(row, 'created_at'),
  updatedAt: num(row, 'updated_at'),
  error: nullableText(row, 'error'),
});

export const toStep = (row: Row): StepRecord => ({
  key: text(row, 'key'),
  name: text(row, 'name'),
  seq: num(row, 'seq'),
  output: text(row, 'value'),
  at: num(row, 'at'),
});

export const toCleanup = (row: Row): CleanupRecord => ({
  id: num(row, 'id'),
  name: text(row, 'name'),
  seq: num(row, 'seq'),
  params: text(row, 'value'),
  at: num(row, 'at'),
});

/** Splits rows of the shared layout into the head row and a snapshot (head absent → undefined). */
export const toSnapshot = (
  rows: readonly Row[],
): { head: Row | undefined; snapshot: RunSnapshot | undefined } => {
  const head = rows.find((r) => r.rec === 'run');
  if (head === undefined || head.run_id === null || head.run_id === undefined)
    return { head, snapshot: undefined };
  return {
    head,
    snapshot: {
      run: toHead(head),
      steps: rows.filter((r) => r.rec === 'step').map(toStep),
      cleanups: rows.filter((r) => r.rec === 'cleanup').map(toCleanup),
    },
  };
};
