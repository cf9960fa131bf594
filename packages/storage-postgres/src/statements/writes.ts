import type {
  Fenced,
  PutCleanupRequest,
  PutStepOutcome,
  PutStepRequest,
  RemoveCleanupRequest,
  RollbackRequest,
  SetLeaseRequest,
} from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { toStep } from './rows.ts';
import { RETRY, type Retry, type Statement } from './statement.ts';

/**
 * The fenced writes of records (steps, cleanups). Each is ONE statement whose first CTE is the
 * fence: a locking read of the head row on `run_id = $1 AND owner = $2` (`FOR NO KEY UPDATE`, the
 * lock an UPDATE of the row would take), returning whether the run is cancelled; the other changes
 * only happen `FROM fence` (or `USING fence`), and only those that a cancelled run allows.
 * - The lock is held until the statement commits, and it writes no new version of the row (no
 *   tuple, a few bytes of WAL), where the UPDATE of the row that fenced each write did.
 * - A takeover (the claim function, claim.ts) locks the row too. One that comes first makes our
 *   read wait, and READ COMMITTED then re-checks `owner = $2` on the row the claim left, which
 *   fails: `lease-lost`, nothing written. One that comes later waits for our commit, and reads the
 *   records after its lock, so it sees ours. The same holds for every head write (a suspend, a
 *   finish, a cancel: each locks the row first).
 * - Writes of one run queue on its row in the order they arrive: a resent write whose first
 *   arrival is still queued answers `exists`, as the contract says.
 * - No row (run purged, or owned by someone else) means `lease-lost`, with nothing changed.
 * - A lease that merely expired is still ours until someone claims the run: the fence tests the
 *   owner only, as the contract says.
 * - On a cancelled run only the writes that undo (`rollback`, `setLease`; `finish` to `cancelled`,
 *   in finish.ts) are applied; the others change nothing, and all answer `cancelled`.
 */
const fence = (t: TableNames): string =>
  `fence AS (
  SELECT r.run_id, r.status = 'cancelled' AS cancelled FROM ${t.runs} r
  WHERE r.run_id = $1::text AND r.owner = $2::text
  FOR NO KEY UPDATE
)`;

/**
 * The fence of the head writes (`setLease`): an UPDATE of the head row on `run_id = $1 AND
 * owner = $2`, which locks the row as the locking read above does, and changes `set`.
 */
const headFence = (t: TableNames, set: string): string =>
  `fence AS (
  UPDATE ${t.runs} r SET ${set} WHERE r.run_id = $1::text AND r.owner = $2::text
  RETURNING r.run_id, r.status = 'cancelled' AS cancelled
)`;

/** The rows a write changes, restricted to a fence that allows it (`FROM fence f WHERE …`). */
const ALLOWED = 'NOT f.cancelled';

/** The answer of a fenced write, from its fence. */
const FENCED = `SELECT CASE
    WHEN NOT EXISTS (SELECT FROM fence) THEN 'lease-lost'
    WHEN (SELECT cancelled FROM fence) THEN 'cancelled'
    ELSE 'ok'
  END AS outcome`;

export const fenced = (rows: readonly Row[]): Fenced => {
  const outcome = rows[0]?.outcome;
  if (outcome === 'ok' || outcome === 'lease-lost' || outcome === 'cancelled') return outcome;
  throw new Error(`postgres storage: a fenced write returned outcome ${String(outcome)}`);
};

/**
 * putStep: first writer wins. `ON CONFLICT DO NOTHING` keeps the stored record; the stored record
 * is read only when the insert did not happen (a one-time filter skips the read otherwise), from
 * the statement snapshot. If the conflicting row was committed after our snapshot (a concurrent
 * writer of the same key), the snapshot cannot show it: the outcome is `retry` (nothing written)
 * and the caller runs the statement again to read it. A resend of a write whose reply was lost is
 * such a second writer: it gets `exists` with its own record.
 * Params: $1 run id, $2 owner, $3 key, $4 name, $5 seq, $6 output, $7 at.
 */
export const putStepSql = (t: TableNames): string => `
WITH ${fence(t)},
inserted AS (
  INSERT INTO ${t.steps} (run_id, step_key, name, seq, output, at)
  SELECT run_id, $3::text, $4::text, $5::bigint, $6::text, $7::bigint FROM fence f WHERE ${ALLOWED}
  ON CONFLICT (run_id, step_key) DO NOTHING
  RETURNING 1
)
SELECT CASE
    WHEN EXISTS (SELECT FROM inserted) THEN 'written'
    WHEN NOT EXISTS (SELECT FROM fence) THEN 'lease-lost'
    WHEN (SELECT cancelled FROM fence) THEN 'cancelled'
    WHEN s.step_key IS NOT NULL THEN 'exists'
    ELSE 'retry'
  END AS outcome,
  s.step_key AS key, s.name, s.seq::float8 AS seq, s.output AS value, s.at::float8 AS at
FROM (SELECT) AS one
LEFT JOIN LATERAL (
  SELECT step_key, name, seq, output, at FROM ${t.steps}
  WHERE run_id = $1::text AND step_key = $3::text AND NOT EXISTS (SELECT FROM inserted)
) s ON true`;

const parsePutStep = (rows: readonly Row[]): PutStepOutcome | Retry => {
  const row = rows[0];
  switch (row?.outcome) {
    case 'written':
      return { kind: 'written' };
    case 'lease-lost':
      return { kind: 'lease-lost' };
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'exists':
      return { kind: 'exists', record: toStep(row) };
    case 'retry':
      return RETRY;
    default:
      throw new Error(`postgres storage: putStep returned outcome ${String(row?.outcome)}`);
  }
};

export const putStepStatement =
  (sql: string) =>
  ({ runId, owner, record: s }: PutStepRequest): Statement<PutStepOutcome | Retry> => ({
    sql,
    params: [runId, owner, s.key, s.name, s.seq, s.output, s.at],
    parse: parsePutStep,
  });

/**
 * putCleanup: ids are unique in a run; writing an id again replaces it, as the reference does (so
 * a resend writes the same record again).
 * Params: $1 run id, $2 owner, $3 id, $4 name, $5 seq, $6 params, $7 at.
 */
export const putCleanupSql = (t: TableNames): string => `
WITH ${fence(t)},
written AS (
  INSERT INTO ${t.cleanups} (run_id, cleanup_id, name, seq, params, at)
  SELECT run_id, $3::bigint, $4::text, $5::bigint, $6::text, $7::bigint FROM fence f WHERE ${ALLOWED}
  ON CONFLICT (run_id, cleanup_id) DO UPDATE SET
    name = excluded.name, seq = excluded.seq, params = excluded.params, at = excluded.at
)
${FENCED}`;

export const putCleanupStatement =
  (sql: string) =>
  ({ runId, owner, record: c }: PutCleanupRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, c.id, c.name, c.seq, c.params, c.at],
    parse: fenced,
  });

/**
 * removeCleanup (absent is fine, so a resend answers `ok` too), with the record that the window is
 * closed when one is given (first one stays, as putStep).
 * Params: $1 run id, $2 owner, $3 id, then the record or NULLs: $4 key, $5 name, $6 seq, $7 output, $8 at.
 */
export const removeCleanupSql = (t: TableNames): string => `
WITH ${fence(t)},
removed AS (
  DELETE FROM ${t.cleanups} c USING fence f
  WHERE c.run_id = f.run_id AND c.cleanup_id = $3::bigint AND ${ALLOWED}
),
recorded AS (
  INSERT INTO ${t.steps} (run_id, step_key, name, seq, output, at)
  SELECT run_id, $4::text, $5::text, $6::bigint, $7::text, $8::bigint FROM fence f
  WHERE ${ALLOWED} AND $4::text IS NOT NULL
  ON CONFLICT (run_id, step_key) DO NOTHING
)
${FENCED}`;

export const removeCleanupStatement =
  (sql: string) =>
  ({ runId, owner, id, record: s }: RemoveCleanupRequest): Statement<Fenced> => ({
    sql,
    params: [
      runId,
      owner,
      id,
      s?.key ?? null,
      s?.name ?? null,
      s?.seq ?? null,
      s?.output ?? null,
      s?.at ?? null,
    ],
    parse: fenced,
  });

/**
 * rollback: the cleanup and every later step go together; applied on a cancelled run too (its
 * owner is undoing it). Signals (`seq` 0) stay: the core's `afterSeq` is never negative.
 * Params: $1 run id, $2 owner, $3 cleanup id, $4 after seq.
 */
export const rollbackSql = (t: TableNames): string => `
WITH ${fence(t)},
removed AS (
  DELETE FROM ${t.cleanups} c USING fence f WHERE c.run_id = f.run_id AND c.cleanup_id = $3::bigint
),
forgotten AS (
  DELETE FROM ${t.steps} s USING fence f WHERE s.run_id = f.run_id AND s.seq > $4::bigint
)
${FENCED}`;

export const rollbackStatement =
  (sql: string) =>
  ({ runId, owner, cleanupId, afterSeq }: RollbackRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, cleanupId, afterSeq],
    parse: fenced,
  });

/**
 * setLease: renew, or release with expiry 0; applied on a cancelled run too (its owner keeps the
 * lease while it undoes).
 * Params: $1 run id, $2 owner, $3 expiry, $4 now.
 */
export const setLeaseSql = (t: TableNames): string => `
WITH ${headFence(t, 'lease_expires_at = $3::bigint, updated_at = $4::bigint')}
${FENCED}`;

export const setLeaseStatement =
  (sql: string) =>
  ({ runId, owner, leaseExpiresAt, now }: SetLeaseRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, leaseExpiresAt, now],
    parse: fenced,
  });

/**
 * putSteps (group commit): several putStep requests in ONE statement. The requests travel as one
 * JSON text parameter (every host binds text; a bridge may not bind arrays), numbered in order.
 * - `fence` locks the head row of every run named, as putStep's fence does, in run id order (two
 *   such statements on the same runs take their locks in the same order, so they cannot
 *   deadlock), and reads its LATEST owner and status (READ COMMITTED re-reads a row that changed
 *   before the lock): each request is then allowed or refused on its own, `lease-lost` or
 *   `cancelled`.
 * - Of the allowed requests, the first of each `(run, key)` is inserted (`ON CONFLICT DO NOTHING`).
 * - A request that was allowed but not written (its key was stored already, or came twice in the
 *   call) answers `again`: the adapter sends it on its own with putStep, after this statement,
 *   which answers `exists` with the stored record (or `lease-lost`, if the run changed hands
 *   meanwhile: the request is then simply ordered after that change). The core only sends new
 *   keys, so this is the rare path of a race.
 * Params: $1 the requests, a JSON array of `{ i, run_id, owner, key, name, seq, output, at }`, `i`
 * numbering them in order.
 */
export const putStepsSql = (t: TableNames): string => `
WITH req AS (
  SELECT x.* FROM json_to_recordset($1::json)
    AS x(i int, run_id text, owner text, key text, name text, seq bigint, output text, at bigint)
),
fence AS (
  SELECT r.run_id, r.owner, r.status = 'cancelled' AS cancelled FROM ${t.runs} r
  WHERE r.run_id IN (SELECT run_id FROM req)
  ORDER BY r.run_id
  FOR NO KEY UPDATE
),
firsts AS (
  SELECT DISTINCT ON (q.run_id, q.key) q.* FROM req q
  JOIN fence f ON f.run_id = q.run_id AND f.owner = q.owner AND NOT f.cancelled
  ORDER BY q.run_id, q.key, q.i
),
inserted AS (
  INSERT INTO ${t.steps} (run_id, step_key, name, seq, output, at)
  SELECT run_id, key, name, seq, output, at FROM firsts
  ON CONFLICT (run_id, step_key) DO NOTHING
  RETURNING run_id, step_key
)
SELECT CASE
    WHEN f.run_id IS NULL OR f.owner IS DISTINCT FROM q.owner THEN 'lease-lost'
    WHEN f.cancelled THEN 'cancelled'
    WHEN EXISTS (
      SELECT FROM inserted n JOIN firsts w ON w.run_id = n.run_id AND w.key = n.step_key
      WHERE n.run_id = q.run_id AND n.step_key = q.key AND w.i = q.i
    ) THEN 'written'
    ELSE 'again'
  END AS outcome
FROM req q LEFT JOIN fence f ON f.run_id = q.run_id
ORDER BY q.i`;

/** Each request's outcome, or `again` (send it alone with putStep). */
export type PutStepsAnswer = PutStepOutcome | { readonly kind: 'again' };

const parsePutSteps =
  (count: number) =>
  (rows: readonly Row[]): readonly PutStepsAnswer[] => {
    if (rows.length !== count)
      throw new Error(`postgres storage: putSteps answered ${rows.length} rows for ${count} requests`);
    return rows.map((row) => {
      switch (row.outcome) {
        case 'written':
        case 'lease-lost':
        case 'cancelled':
        case 'again':
          return { kind: row.outcome };
        default:
          throw new Error(`postgres storage: putSteps returned outcome ${String(row.outcome)}`);
      }
    });
  };

export const putStepsStatement =
  (sql: string) =>
  (requests: readonly PutStepRequest[]): Statement<readonly PutStepsAnswer[]> => ({
    sql,
    params: [
      JSON.stringify(
        requests.map(({ runId, owner, record: s }, i) => ({
          i,
          run_id: runId,
          owner,
          key: s.key,
          name: s.name,
          seq: s.seq,
          output: s.output,
          at: s.at,
        })),
      ),
    ],
    parse: parsePutSteps(requests.length),
  });
