import type { PutSignalOutcome, PutSignalRequest } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { nullableStatus, toStep } from './rows.ts';
import { RETRY, type Retry, type Statement } from './statement.ts';

/**
 * putSignal: NOT fenced (any process may signal a run). First writer wins, as in putStep.
 * - `run` reads the head with FOR KEY SHARE: the latest committed row, kept from being deleted
 *   until we commit. A run purged after our snapshot is then `not-found`, not a foreign-key error.
 * - The head is updated only if the record was inserted (`FROM inserted`), in the same statement:
 *   the version bump that every write makes (so a claim or a suspend whose snapshot predates this
 *   signal re-runs and sees it, see claim.ts and suspend.ts), and the wake-up of a suspended run.
 *   That UPDATE acts on the latest head row, so a run suspended after our snapshot is still woken.
 * - `exists` returns the stored record from the snapshot; a conflicting record committed after
 *   the snapshot cannot be shown: `retry` (nothing written), as in putStep.
 *
 * Params: $1 run id, $2 key, $3 name, $4 seq, $5 output, $6 at, $7 now.
 */
export const putSignalSql = (t: TableNames): string => `
WITH run AS (
  SELECT run_id, status FROM ${t.runs} WHERE run_id = $1::text FOR KEY SHARE
),
inserted AS (
  INSERT INTO ${t.steps} (run_id, step_key, name, seq, output, at)
  SELECT run_id, $2::text, $3::text, $4::bigint, $5::text, $6::bigint FROM run
  ON CONFLICT (run_id, step_key) DO NOTHING
  RETURNING run_id
),
woken AS (
  UPDATE ${t.runs} r SET
    version = r.version + 1,
    lease_expires_at = CASE
      WHEN r.status = 'suspended' THEN LEAST(r.lease_expires_at, $7::bigint)
      ELSE r.lease_expires_at
    END
  FROM inserted i WHERE r.run_id = i.run_id
  RETURNING r.status
)
SELECT CASE
    WHEN NOT EXISTS (SELECT FROM run) THEN 'not-found'
    WHEN EXISTS (SELECT FROM woken) THEN 'written'
    WHEN s.step_key IS NOT NULL THEN 'exists'
    ELSE 'retry'
  END AS outcome,
  COALESCE((SELECT status FROM woken), (SELECT status FROM run)) AS status,
  s.step_key AS key, s.name, s.seq::float8 AS seq, s.output AS value, s.at::float8 AS at
FROM (SELECT) AS one
LEFT JOIN ${t.steps} s ON s.run_id = $1::text AND s.step_key = $2::text`;

const statusOf = (row: Row) => {
  const status = nullableStatus(row, 'status');
  if (status === null) throw new Error('postgres storage: putSignal returned no run status');
  return status;
};

const parsePutSignal = (rows: readonly Row[]): PutSignalOutcome | Retry => {
  const row = rows[0];
  switch (row?.outcome) {
    case 'written':
      return { kind: 'written', status: statusOf(row) };
    case 'exists':
      return { kind: 'exists', record: toStep(row), status: statusOf(row) };
    case 'not-found':
      return { kind: 'not-found' };
    case 'retry':
      return RETRY;
    default:
      throw new Error(`postgres storage: putSignal returned outcome ${String(row?.outcome)}`);
  }
};

export const putSignalStatement =
  (sql: string) =>
  ({ runId, record: s, now }: PutSignalRequest): Statement<PutSignalOutcome | Retry> => ({
    sql,
    params: [runId, s.key, s.name, s.seq, s.output, s.at, now],
    parse: parsePutSignal,
  });
