import type { CleanupRecord, RunHead, RunStatus, StepRecord } from '@td7x/durable-x';
import type { Database } from 'better-sqlite3';
import type { TableNames } from './schema.ts';

/** The part of a better-sqlite3 statement the adapter uses. */
export interface Prepared<P extends unknown[], R> {
  run(...params: P): { readonly changes: number };
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

// Columns are aliased to the contract's field names, so a row IS a RunHead / StepRecord / CleanupRecord.
const HEAD = `run_id AS runId, status, owner, lease_expires_at AS leaseExpiresAt, attempt,
  created_at AS createdAt, updated_at AS updatedAt, error`;
const STEP = 'step_key AS key, name, seq, output, recorded_at AS at';
const CLEANUP = 'cleanup_id AS id, name, seq, params, registered_at AS at';

interface Claim {
  readonly runId: string;
  readonly owner: string;
  readonly leaseExpiresAt: number;
  readonly now: number;
}

interface Suspend {
  readonly runId: string;
  readonly at: number;
  readonly wakeAt: number;
  /** null when the run waits for no signal (a NULL key matches no step). */
  readonly signalKey: string | null;
}

/** Every fixed statement of the adapter, prepared once per storage instance. */
export const prepareStatements = (db: Database, t: TableNames) => {
  // safeIntegers(false): numbers come back as numbers even if the user's connection defaults to BigInt.
  const prepare = <P extends unknown[], R = unknown>(sql: string): Prepared<P, R> =>
    db.prepare<P, R>(sql).safeIntegers(false);
  return {
    head: prepare<[string], RunHead>(`SELECT ${HEAD} FROM "${t.runs}" WHERE run_id = ?`),
    claimHead: prepare<[string], RunHead & { claimedFrom: RunStatus | null }>(
      `SELECT ${HEAD}, claimed_from AS claimedFrom FROM "${t.runs}" WHERE run_id = ?`,
    ),
    // What every fenced write decides on (see fence in operations.ts).
    fence: prepare<[string], { owner: string | null; status: RunStatus }>(
      `SELECT owner, status FROM "${t.runs}" WHERE run_id = ?`,
    ),
    steps: prepare<[string], StepRecord>(`SELECT ${STEP} FROM "${t.steps}" WHERE run_id = ?`),
    step: prepare<[string, string], StepRecord>(
      `SELECT ${STEP} FROM "${t.steps}" WHERE run_id = ? AND step_key = ?`,
    ),
    cleanups: prepare<[string], CleanupRecord>(`SELECT ${CLEANUP} FROM "${t.cleanups}" WHERE run_id = ?`),
    createRun: prepare<[Claim]>(
      `INSERT INTO "${t.runs}" (run_id, status, owner, lease_expires_at, attempt, created_at, updated_at, error, claimed_from)
       VALUES (@runId, 'running', @owner, @leaseExpiresAt, 1, @now, @now, NULL, NULL)`,
    ),
    // A cancelled run stays cancelled: its new owner only runs its cleanups. claimed_from keeps
    // the status before the takeover (SET reads the row as it was) for a resent claim.
    takeOver: prepare<[Claim]>(
      `UPDATE "${t.runs}" SET status = CASE status WHEN 'cancelled' THEN 'cancelled' ELSE 'running' END,
       owner = @owner, lease_expires_at = @leaseExpiresAt, attempt = attempt + 1, updated_at = @now,
       claimed_from = status
       WHERE run_id = @runId`,
    ),
    insertStep: prepare<[runId: string, key: string, name: string, seq: number, output: string, at: number]>(
      `INSERT INTO "${t.steps}" (run_id, step_key, name, seq, output, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step_key) DO NOTHING`,
    ),
    // Ids are unique in a run; a rewrite of the same id replaces it, like the reference storage.
    putCleanup: prepare<[runId: string, id: number, name: string, seq: number, params: string, at: number]>(
      `INSERT OR REPLACE INTO "${t.cleanups}" (run_id, cleanup_id, name, seq, params, registered_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    removeCleanup: prepare<[runId: string, id: number]>(
      `DELETE FROM "${t.cleanups}" WHERE run_id = ? AND cleanup_id = ?`,
    ),
    forgetStepsAfter: prepare<[runId: string, seq: number]>(
      `DELETE FROM "${t.steps}" WHERE run_id = ? AND seq > ?`,
    ),
    // The writes below run after the fence has passed, inside the same transaction.
    setLease: prepare<[{ runId: string; leaseExpiresAt: number; now: number }]>(
      `UPDATE "${t.runs}" SET lease_expires_at = @leaseExpiresAt, updated_at = @now WHERE run_id = @runId`,
    ),
    finish: prepare<[{ runId: string; status: RunStatus; at: number; error: string | null }]>(
      `UPDATE "${t.runs}" SET status = @status, owner = NULL, lease_expires_at = 0, updated_at = @at,
       error = @error, claimed_from = NULL
       WHERE run_id = @runId`,
    ),
    // The wake time is the signal's arrival when the awaited signal is already stored, decided in
    // the same statement as the park.
    suspend: prepare<[Suspend], { wakeAt: number }>(
      `UPDATE "${t.runs}" SET status = 'suspended', owner = NULL, updated_at = @at, claimed_from = NULL,
       lease_expires_at = CASE WHEN EXISTS (
         SELECT 1 FROM "${t.steps}" WHERE run_id = @runId AND step_key = @signalKey
       ) THEN @at ELSE @wakeAt END
       WHERE run_id = @runId
       RETURNING lease_expires_at AS wakeAt`,
    ),
    status: prepare<[string], { status: RunStatus }>(`SELECT status FROM "${t.runs}" WHERE run_id = ?`),
    // Signal records are the run's steps with seq 0.
    signalCount: prepare<[string], { count: number }>(
      `SELECT count(*) AS count FROM "${t.steps}" WHERE run_id = ? AND seq = 0`,
    ),
    // A signal only ever brings a wake time forward.
    wake: prepare<[{ runId: string; now: number }]>(
      `UPDATE "${t.runs}" SET lease_expires_at = MIN(lease_expires_at, @now)
       WHERE run_id = @runId AND status = 'suspended'`,
    ),
    // Owner and lease are kept: a live owner goes on, and may only undo (see operations.ts).
    cancel: prepare<[{ runId: string; at: number }]>(
      `UPDATE "${t.runs}" SET status = 'cancelled', updated_at = @at
       WHERE run_id = @runId AND status IN ('running', 'suspended', 'failed', 'compensated')`,
    ),
    deleteRun: prepare<[string]>(`DELETE FROM "${t.runs}" WHERE run_id = ?`),
    deleteSteps: prepare<[string]>(`DELETE FROM "${t.steps}" WHERE run_id = ?`),
    deleteCleanups: prepare<[string]>(`DELETE FROM "${t.cleanups}" WHERE run_id = ?`),
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
export const shapedQuery = (db: Database, t: TableNames) => {
  const cache = new Map<string, Prepared<unknown[], unknown>>();
  const statementFor = (shape: QueryShape, columns: string): Prepared<unknown[], unknown> => {
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
      statement = db.prepare<unknown[], unknown>(sql).safeIntegers(false);
      cache.set(id, statement);
    }
    return statement;
  };
  return {
    heads: (shape: QueryShape) => statementFor(shape, HEAD) as Prepared<unknown[], RunHead>,
    runIds: (shape: QueryShape) =>
      statementFor(shape, 'run_id AS runId') as Prepared<unknown[], { runId: string }>,
  };
};
