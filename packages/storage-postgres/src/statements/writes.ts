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
 * The fenced writes. Each is ONE statement whose first CTE is the fence, an UPDATE of the head row
 * on `run_id = $1 AND owner = $2` returning whether the run is cancelled; the other changes only
 * happen `FROM fence` (or `USING fence`), and only those that a cancelled run allows.
 * - The UPDATE locks the head row until the statement commits, so a concurrent takeover cannot
 *   interleave: a `claim` that arrives first makes our UPDATE wait and then re-check
 *   `owner = $2` on the new row (READ COMMITTED re-evaluates the WHERE on the latest version),
 *   which fails: `lease-lost`, nothing written. A `claim` that arrives later waits for our commit
 *   and sees the bumped version (see claim.ts). The cancelled test reads the same locked row.
 * - No row (run purged, or owned by someone else) means `lease-lost`, with nothing changed.
 * - A lease that merely expired is still ours until someone claims the run: the fence tests the
 *   owner only, as the contract says.
 * - On a cancelled run only the writes that undo (`rollback`, `setLease`; `finish` to `cancelled`,
 *   in finish.ts) are applied; the others change nothing, and all answer `cancelled`.
 * - A write that changes the run's records bumps `version` (unless refused as cancelled), so that
 *   a claim whose snapshot predates it re-runs; a write to the head alone needs no bump, since a
 *   claim reads the head from the locked row.
 */
const fence = (t: TableNames, set: string): string =>
  `fence AS (
  UPDATE ${t.runs} r SET ${set} WHERE r.run_id = $1::text AND r.owner = $2::text
  RETURNING r.run_id, r.status = 'cancelled' AS cancelled
)`;

/** The fence of a write that a cancelled run refuses: the version moves only when it is applied. */
const progressFence = (t: TableNames): string =>
  fence(t, `version = r.version + CASE WHEN r.status = 'cancelled' THEN 0 ELSE 1 END`);

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
 * is returned from the statement snapshot. If the conflicting row was committed after our
 * snapshot (a concurrent writer of the same key), the snapshot cannot show it: the outcome is
 * `retry` (nothing written) and the caller runs the statement again to read it. A resend of a
 * write whose reply was lost is such a second writer: it gets `exists` with its own record.
 * Params: $1 run id, $2 owner, $3 key, $4 name, $5 seq, $6 output, $7 at.
 */
export const putStepSql = (t: TableNames): string => `
WITH ${progressFence(t)},
inserted AS (
  INSERT INTO ${t.steps} (run_id, step_key, name, seq, output, at)
  SELECT run_id, $3::text, $4::text, $5::bigint, $6::text, $7::bigint FROM fence f WHERE ${ALLOWED}
  ON CONFLICT (run_id, step_key) DO NOTHING
  RETURNING 1
)
SELECT CASE
    WHEN NOT EXISTS (SELECT FROM fence) THEN 'lease-lost'
    WHEN (SELECT cancelled FROM fence) THEN 'cancelled'
    WHEN EXISTS (SELECT FROM inserted) THEN 'written'
    WHEN s.step_key IS NOT NULL THEN 'exists'
    ELSE 'retry'
  END AS outcome,
  s.step_key AS key, s.name, s.seq::float8 AS seq, s.output AS value, s.at::float8 AS at
FROM (SELECT) AS one
LEFT JOIN ${t.steps} s ON s.run_id = $1::text AND s.step_key = $3::text`;

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
WITH ${progressFence(t)},
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
WITH ${progressFence(t)},
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
WITH ${fence(t, 'version = r.version + 1')},
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
 * lease while it undoes). The head alone changes: no version bump.
 * Params: $1 run id, $2 owner, $3 expiry, $4 now.
 */
export const setLeaseSql = (t: TableNames): string => `
WITH ${fence(t, 'lease_expires_at = $3::bigint, updated_at = $4::bigint')}
${FENCED}`;

export const setLeaseStatement =
  (sql: string) =>
  ({ runId, owner, leaseExpiresAt, now }: SetLeaseRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, leaseExpiresAt, now],
    parse: fenced,
  });
