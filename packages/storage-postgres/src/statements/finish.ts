import type { Fenced, FinishRequest } from '@td7x/durable-x';
import type { TableNames } from '../names.ts';
import type { Statement } from './statement.ts';
import { fenced } from './writes.ts';

/**
 * finish: final status, owner, claim and lease cleared, error stored, cleanups dropped on request.
 * Every decision is taken on the LATEST head row, locked first (`held`, FOR NO KEY UPDATE: a
 * locking read waits for a writer holding the row and returns its committed version), so that
 * the answer and the change agree even when another statement committed after our snapshot:
 * - owner is ours → applied (`ok`), or on a cancelled run `cancelled`, applied only when the
 *   status given is `cancelled` (its owner ends the undoing);
 * - owner already cleared and the status already the one given → a resend whose first reply was
 *   lost (possibly still running when the resend arrived): `ok`, nothing changed;
 * - anything else → `lease-lost`, nothing changed.
 * Params: $1 run id, $2 owner, $3 status, $4 at, $5 error, $6 drop cleanups.
 */
export const finishSql = (t: TableNames): string => `
WITH held AS (
  SELECT run_id, owner, status FROM ${t.runs} WHERE run_id = $1::text FOR NO KEY UPDATE
),
finished AS (
  UPDATE ${t.runs} r SET
    status = $3::text, owner = NULL, claimed_from = NULL, lease_expires_at = 0,
    updated_at = $4::bigint, error = $5::text
  FROM held h
  WHERE r.run_id = h.run_id AND h.owner = $2::text AND (h.status <> 'cancelled' OR $3::text = 'cancelled')
  RETURNING r.run_id
),
dropped AS (
  DELETE FROM ${t.cleanups} c USING finished f WHERE c.run_id = f.run_id AND $6::boolean
)
SELECT CASE
    WHEN EXISTS (SELECT FROM held WHERE owner = $2::text AND status = 'cancelled') THEN 'cancelled'
    WHEN EXISTS (SELECT FROM held WHERE owner = $2::text) THEN 'ok'
    WHEN EXISTS (SELECT FROM held WHERE owner IS NULL AND status = $3::text) THEN 'ok'
    ELSE 'lease-lost'
  END AS outcome`;

export const finishStatement =
  (sql: string) =>
  ({ runId, owner, status, at, error, dropCleanups }: FinishRequest): Statement<Fenced> => ({
    sql,
    params: [runId, owner, status, at, error, dropCleanups],
    parse: fenced,
  });
