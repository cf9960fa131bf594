import type { CleanupRecord, RunHead, RunStatus, StepRecord } from '@td7x/durable-x';
import type { SqliteDriver, SqliteValue } from './driver.ts';
import { type Prepared, prepare } from './prepared.ts';
import type { IndexNames, TableNames } from './schema.ts';

// Columns are aliased to the contract's field names, so a row IS a RunHead / StepRecord / CleanupRecord.
const HEAD = `run_id AS runId, status, owner, lease_expires_at AS leaseExpiresAt, attempt,
  created_at AS createdAt, updated_at AS updatedAt, error`;
const STEP = 'step_key AS key, name, seq, output, recorded_at AS at';
const CLEANUP = 'cleanup_id AS id, name, seq, params, registered_at AS at';

// Parameters are positional `?` only (the one style every driver binds); each statement names
// its parameters in its type, in order.

/**
 * Every fixed statement of the adapter, prepared once per storage instance. The fenced writes
 * run after the fence was checked, in the same transaction (see operations.ts).
 */
export const prepareStatements = (driver: SqliteDriver, t: TableNames) => {
  const statement = <P extends readonly SqliteValue[], R = never>(sql: string): Prepared<P, R> =>
    prepare<P, R>(driver, sql);
  return {
    head: statement<[runId: string], RunHead>(`SELECT ${HEAD} FROM "${t.runs}" WHERE run_id = ?`),
    claimHead: statement<[runId: string], RunHead & { claimedFrom: RunStatus | null }>(
      `SELECT ${HEAD}, claimed_from AS claimedFrom FROM "${t.runs}" WHERE run_id = ?`,
    ),
    // What every fenced write decides on.
    fence: statement<[runId: string], { owner: string | null; status: RunStatus }>(
      `SELECT owner, status FROM "${t.runs}" WHERE run_id = ?`,
    ),
    steps: statement<[runId: string], StepRecord>(`SELECT ${STEP} FROM "${t.steps}" WHERE run_id = ?`),
    step: statement<[runId: string, key: string], StepRecord>(
      `SELECT ${STEP} FROM "${t.steps}" WHERE run_id = ? AND step_key = ?`,
    ),
    cleanups: statement<[runId: string], CleanupRecord>(
      `SELECT ${CLEANUP} FROM "${t.cleanups}" WHERE run_id = ?`,
    ),
    createRun: statement<[runId: string, owner: string, leaseExpiresAt: number, now: number, now: number]>(
      `INSERT INTO "${t.runs}" (run_id, status, owner, lease_expires_at, attempt, created_at, updated_at, error, claimed_from)
       VALUES (?, 'running', ?, ?, 1, ?, ?, NULL, NULL)`,
    ),
    // A cancelled run stays cancelled: its new owner only runs its cleanups. claimed_from keeps
    // the status before the takeover (SET reads the row as it was) for a resent claim.
    takeOver: statement<[owner: string, leaseExpiresAt: number, now: number, runId: string]>(
      `UPDATE "${t.runs}" SET status = CASE status WHEN 'cancelled' THEN 'cancelled' ELSE 'running' END,
       owner = ?, lease_expires_at = ?, attempt = attempt + 1, updated_at = ?, claimed_from = status
       WHERE run_id = ?`,
    ),
    insertStep: statement<
      [runId: string, key: string, name: string, seq: number, output: string, at: number]
    >(
      `INSERT INTO "${t.steps}" (run_id, step_key, name, seq, output, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step_key) DO NOTHING`,
    ),
    // Ids are unique in a run; a rewrite of the same id replaces it, like the reference storage.
    putCleanup: statement<[runId: string, id: number, name: string, seq: number, params: string, at: number]>(
      `INSERT OR REPLACE INTO "${t.cleanups}" (run_id, cleanup_id, name, seq, params, registered_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    removeCleanup: statement<[runId: string, id: number]>(
      `DELETE FROM "${t.cleanups}" WHERE run_id = ? AND cleanup_id = ?`,
    ),
    forgetStepsAfter: statement<[runId: string, seq: number]>(
      `DELETE FROM "${t.steps}" WHERE run_id = ? AND seq > ?`,
    ),
    setLease: statement<[leaseExpiresAt: number, now: number, runId: string]>(
      `UPDATE "${t.runs}" SET lease_expires_at = ?, updated_at = ? WHERE run_id = ?`,
    ),
    finish: statement<[status: RunStatus, at: number, error: string | null, runId: string]>(
      `UPDATE "${t.runs}" SET status = ?, owner = NULL, lease_expires_at = 0, updated_at = ?, error = ?,
       claimed_from = NULL
       WHERE run_id = ?`,
    ),
    // The wake time is the signal's arrival when the awaited signal is already stored (a NULL
    // key matches no step), decided in the same statement as the park.
    suspend: statement<
      [at: number, runId: string, signalKey: string | null, at: number, wakeAt: number, runId: string],
      { wakeAt: number }
    >(
      `UPDATE "${t.runs}" SET status = 'suspended', owner = NULL, updated_at = ?, claimed_from = NULL,
       lease_expires_at = CASE WHEN EXISTS (
         SELECT 1 FROM "${t.steps}" WHERE run_id = ? AND step_key = ?
       ) THEN ? ELSE ? END
       WHERE run_id = ?
       RETURNING lease_expires_at AS wakeAt`,
    ),
    status: statement<[runId: string], { status: RunStatus }>(
      `SELECT status FROM "${t.runs}" WHERE run_id = ?`,
    ),
    // Signal records are the run's steps with seq 0.
    signalCount: statement<[runId: string], { count: number }>(
      `SELECT count(*) AS count FROM "${t.steps}" WHERE run_id = ? AND seq = 0`,
    ),
    // A signal only ever brings a wake time forward.
    wake: statement<[now: number, runId: string]>(
      `UPDATE "${t.runs}" SET lease_expires_at = MIN(lease_expires_at, ?)
       WHERE run_id = ? AND status = 'suspended'`,
    ),
    // Owner and lease are kept: a live owner goes on, and may only undo (see operations.ts).
    cancel: statement<[at: number, runId: string]>(
      `UPDATE "${t.runs}" SET status = 'cancelled', updated_at = ?
       WHERE run_id = ? AND status IN ('running', 'suspended', 'failed', 'compensated')`,
    ),
    deleteRun: statement<[runId: string]>(`DELETE FROM "${t.runs}" WHERE run_id = ?`),
    deleteSteps: statement<[runId: string]>(`DELETE FROM "${t.steps}" WHERE run_id = ?`),
    deleteCleanups: statement<[runId: string]>(`DELETE FROM "${t.cleanups}" WHERE run_id = ?`),
  };
};

export type Statements = ReturnType<typeof prepareStatements>;

/** Which optional filters a list/purge query uses; each shape is one cached statement. */
export interface QueryShape {
  readonly statuses: number;
  readonly updatedBefore: boolean;
  readonly leaseExpiredAt: boolean;
  readonly after: boolean;
}

/**
 * `list` and `purge` have optional filters. Rather than one statement full of `? IS NULL OR …`
 * (which keeps SQLite from using the indexes), each combination gets its own SQL, built only
 * from fixed fragments and `?` placeholders, and is prepared once. There are at most 40 shapes.
 */
export const shapedQuery = (driver: SqliteDriver, t: TableNames, i: IndexNames) => {
  const cache = new Map<string, Prepared<SqliteValue[], unknown>>();
  const statementFor = (shape: QueryShape, columns: string): Prepared<SqliteValue[], unknown> => {
    const id = `${columns}:${shape.statuses}:${shape.updatedBefore}:${shape.leaseExpiredAt}:${shape.after}`;
    let statement = cache.get(id);
    if (!statement) {
      const where = [
        shape.statuses > 0 ? `status IN (${Array(shape.statuses).fill('?').join(', ')})` : undefined,
        shape.updatedBefore ? 'updated_at < ?' : undefined,
        shape.leaseExpiredAt ? 'lease_expires_at <= ?' : undefined,
        shape.after ? '(updated_at, run_id) > (?, ?)' : undefined,
      ].filter((clause) => clause !== undefined);
      const sql = `SELECT ${columns} FROM "${t.runs}" ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY updated_at, run_id LIMIT ?`;
      statement = prepare<SqliteValue[], unknown>(driver, sql);
      cache.set(id, statement);
    }
    return statement;
  };
  const due = new Map<string, Prepared<SqliteValue[], unknown>>();
  /**
   * The runs of one status whose lease ended (the suspended runs due, the abandoned running ones),
   * found through the lease index, at most `cap` of them, oldest first, after the cursor if given:
   * what a page costs when few are due, whatever the number of runs that wait (see operations.ts).
   */
  const dueByLease = (after: boolean, columns: string): Prepared<SqliteValue[], unknown> => {
    const id = `lease:${columns}:${after}`;
    let statement = due.get(id);
    if (!statement) {
      const sql = `SELECT ${columns} FROM (
          SELECT * FROM "${t.runs}" INDEXED BY "${i.byLease}"
          WHERE status = ? AND lease_expires_at <= ? ${after ? 'AND (updated_at, run_id) > (?, ?)' : ''}
          LIMIT ?
        ) ORDER BY updated_at, run_id`;
      statement = prepare<SqliteValue[], unknown>(driver, sql);
      due.set(id, statement);
    }
    return statement;
  };
  /** The same runs when many are due: walked in age order, a page of them found at once. */
  const dueByAge = (after: boolean, columns: string): Prepared<SqliteValue[], unknown> => {
    const id = `age:${columns}:${after}`;
    let statement = due.get(id);
    if (!statement) {
      const sql = `SELECT ${columns} FROM "${t.runs}" INDEXED BY "${i.byStatusAge}"
        WHERE status = ? AND lease_expires_at <= ? ${after ? 'AND (updated_at, run_id) > (?, ?)' : ''}
        ORDER BY updated_at, run_id LIMIT ?`;
      statement = prepare<SqliteValue[], unknown>(driver, sql);
      due.set(id, statement);
    }
    return statement;
  };
  return {
    dueByLease: (after: boolean) => dueByLease(after, HEAD) as Prepared<SqliteValue[], RunHead>,
    dueByAge: (after: boolean) => dueByAge(after, HEAD) as Prepared<SqliteValue[], RunHead>,
    heads: (shape: QueryShape) => statementFor(shape, HEAD) as Prepared<SqliteValue[], RunHead>,
    runIds: (shape: QueryShape) =>
      statementFor(shape, 'run_id AS runId') as Prepared<SqliteValue[], { runId: string }>,
  };
};
