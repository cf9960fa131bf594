import type {
  Fenced,
  FinishRequest,
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
 * The fenced writes. Each is ONE statement whose first CTE is the fence:
 *
 *   fence AS (UPDATE runs SET version = version + 1 WHERE run_id = $1 AND owner = $2 RETURNING run_id)
 *
 * and whose other changes only happen `FROM fence` (or `WHERE EXISTS (SELECT FROM fence)`).
 * - The UPDATE locks the head row until the statement commits, so a concurrent takeover cannot
 *   interleave: a `claim` that arrives first makes our UPDATE wait and then re-check
 *   `owner = $2` on the new row (READ COMMITTED re-evaluates the WHERE on the latest version),
 *   which fails: `lease-lost`, nothing written. A `claim` that arrives later waits for our commit
 *   and sees the bumped version (see claim.ts).
 * - No row (run purged, or owned by someone else) means `lease-lost`, with nothing changed.
 * - A lease that merely expired is still ours until someone claims the run: the fence tests the
 *   owner only, as the contract says.
 */
const fence = (t: TableNames, set = 'version = version + 1'): string =>
  `fence AS (UPDATE ${t.runs} SET ${set} WHERE run_id = $1::text AND owner = $2::text RETURNING run_id)`;

// pg gives a boolean; a bridge that stringifies values may give 't' / 'true'.
const fenced = (rows: readonly Row[]): Fenced => {
  const value = rows[0]?.fenced;
  return value === true || value === 't' || value === 'true' ? 'ok' : 'lease-lost';
};
const FENCED = `SELECT EXISTS (SELECT FROM fence) AS fenced`;

/**
 * putStep: first writer wins. `ON CONFLICT DO NOTHING` keeps the stored record; the stored record
 * is returned from the statement snapshot. If the conflicting row was committed after our
 * snapshot (a concurrent writer of the same key), the snapshot cannot show it: the outcome is
 * `retry` (nothing written) and the caller runs the statement again to read it.
 * Params: $1 run id, $2 owner, $3 key, $4 name, $5 seq, $6 output, $7 at.
 */
export const putStepSql = (t: TableNames): string => `
WITH ${fence(t)},
inserted AS (
  INSERT INTO ${t.steps} (run_id, step_key, name, seq, output, at)
  SELECT run_id, $3::text, $4::text, $5::bigint, $6::text, $7::bigint FROM fence
  ON CONFLICT (run_id, step_key) DO NOTHING
  RETURNING 1
)
SELECT CASE
    WHEN NOT EXISTS (SELECT FROM fence) THEN 'lease-lost'
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
 * putCleanup: ids are unique in a run; writing an id again replaces it, as the reference does.
 * Params: $1 run id, $2 owner, $3 id, $4 name, $5 seq, $6 params, $7 at.
 */
export const putCleanupSql = (t: TableNames): string => `
WITH ${fence(t)},
written AS (
  INSERT INTO ${t.cleanups} (run_id, cleanup_id, name, seq, params, at)
  SELECT run_id, $3::bigint, $4::text, $5::bigint, $6::text, $7::bigint FROM fence
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

/** removeCleanup. Params: $1 run id, $2 owner, $3 id. */
export const removeCleanupSql = (t: TableNames): string => `
WITH ${fence(t)},
removed AS (
  DELETE FROM ${t.cleanups} c USING fence f WHERE c.run_id = f.run_id AND c.cleanup_id = $3::bigint
)
${FENCED}`;

export const removeCleanupStatement =
  (sql: string) =>
  ({ runId, owner, id }: RemoveCleanupRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, id],
    parse: fenced,
  });

/** rollback: the cleanup and every later step go together. Params: $1 run id, $2 owner, $3 cleanup id, $4 after seq. */
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

/** setLease: renew, or release with expiry 0. Params: $1 run id, $2 owner, $3 expiry, $4 now. */
export const setLeaseSql = (t: TableNames): string => `
WITH ${fence(t, 'lease_expires_at = $3::bigint, updated_at = $4::bigint, version = version + 1')}
${FENCED}`;

export const setLeaseStatement =
  (sql: string) =>
  ({ runId, owner, leaseExpiresAt, now }: SetLeaseRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, leaseExpiresAt, now],
    parse: fenced,
  });

/**
 * finish: final status, owner and lease cleared, error stored, cleanups dropped on request.
 * A resent finish (its first reply lost) finds the owner cleared and the status already set:
 * that is `ok`, not `lease-lost`.
 * Params: $1 run id, $2 owner, $3 status, $4 at, $5 error, $6 drop cleanups.
 */
export const finishSql = (t: TableNames): string => `
WITH ${fence(
  t,
  `status = $3::text, owner = NULL, lease_expires_at = 0, updated_at = $4::bigint, error = $5::text,
    version = version + 1`,
)},
dropped AS (
  DELETE FROM ${t.cleanups} c USING fence f WHERE c.run_id = f.run_id AND $6::boolean
)
SELECT EXISTS (SELECT FROM fence)
    OR EXISTS (SELECT FROM ${t.runs} WHERE run_id = $1::text AND owner IS NULL AND status = $3::text)
  AS fenced`;

export const finishStatement =
  (sql: string) =>
  ({ runId, owner, status, at, error, dropCleanups }: FinishRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, status, at, error, dropCleanups],
    parse: fenced,
  });
