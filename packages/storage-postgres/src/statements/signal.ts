import type { PutSignalOutcome, PutSignalRequest } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { nullableStatus, toStep } from './rows.ts';
import { RETRY, type Retry, type Statement } from './statement.ts';

/**
 * putSignal: NOT fenced (any process may signal a run). First writer wins, as in putStep.
 * - `stored`: a record of this key in the statement snapshot → `exists` with it (a resend whose
 *   first reply was lost gets its own record back), with no lock taken — unless the run itself is
 *   gone: a record a write racing a purge left behind under its id is not a run's (`not-found`).
 * - Otherwise `held` locks the head row (FOR NO KEY UPDATE) and reads its LATEST version: every
 *   signal of a run takes that lock before it inserts, so the signals of one run are serialized
 *   and `held.signals` is the exact number of signal records stored. A run purged after our
 *   snapshot is then `not-found`, not a foreign-key error.
 * - `maxSignals` given and `held.signals` already that many → `full`, nothing written. The count
 *   is a column, read under the lock: it costs no index scan whatever the number of signals, and
 *   concurrent senders cannot overshoot it (a count of the rows would read the snapshot, which
 *   misses the signals committed while we waited for the lock).
 * - The record is inserted, and the head updated in the same statement only if it was: `signals`
 *   counted, and a suspended run woken (lease set to `min(lease, now)`). A claim waits for that
 *   lock and reads the records after it (claim.ts): it sees the signal.
 * - A record of this key committed after our snapshot (a concurrent sender of the same key) cannot
 *   be shown: the insert finds the conflict and the outcome is `retry` (nothing written), as in
 *   putStep. So is `full` when the count moved after our snapshot, since one of the records that
 *   moved it may be ours to answer `exists` with. Either happens at most once per race: the next
 *   snapshot holds that record, and a full run's count no longer moves.
 *
 * Params: $1 run id, $2 key, $3 name, $4 seq, $5 output, $6 at, $7 now, $8 maxSignals or NULL.
 */
export const putSignalSql = (t: TableNames): string => `
WITH seen AS (
  SELECT status, signals FROM ${t.runs} WHERE run_id = $1::text
),
stored AS (
  SELECT step_key, name, seq, output, at FROM ${t.steps} WHERE run_id = $1::text AND step_key = $2::text
),
held AS (
  SELECT run_id, status, signals FROM ${t.runs}
  WHERE run_id = $1::text AND NOT EXISTS (SELECT FROM stored)
  FOR NO KEY UPDATE
),
inserted AS (
  INSERT INTO ${t.steps} (run_id, step_key, name, seq, output, at)
  SELECT run_id, $2::text, $3::text, $4::bigint, $5::text, $6::bigint FROM held
  WHERE $8::bigint IS NULL OR held.signals < $8::bigint
  ON CONFLICT (run_id, step_key) DO NOTHING
  RETURNING run_id
),
woken AS (
  UPDATE ${t.runs} r SET
    signals = r.signals + 1,
    lease_expires_at = CASE
      WHEN r.status = 'suspended' THEN LEAST(r.lease_expires_at, $7::bigint)
      ELSE r.lease_expires_at
    END
  FROM inserted i WHERE r.run_id = i.run_id
  RETURNING r.status
)
SELECT CASE
    WHEN EXISTS (SELECT FROM woken) THEN 'written'
    WHEN NOT EXISTS (SELECT FROM seen) AND NOT EXISTS (SELECT FROM held) THEN 'not-found'
    WHEN EXISTS (SELECT FROM stored) THEN 'exists'
    WHEN NOT EXISTS (SELECT FROM held) THEN 'not-found'
    WHEN EXISTS (SELECT FROM held h, seen s WHERE h.signals >= $8::bigint AND h.signals = s.signals) THEN 'full'
    ELSE 'retry'
  END AS outcome,
  COALESCE((SELECT status FROM woken), (SELECT status FROM held), (SELECT status FROM seen)) AS status,
  s.step_key AS key, s.name, s.seq::float8 AS seq, s.output AS value, s.at::float8 AS at
FROM (SELECT) AS one
LEFT JOIN stored s ON true`;

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
    case 'full':
      return { kind: 'full', status: statusOf(row) };
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
  ({ runId, record: s, now, maxSignals }: PutSignalRequest): Statement<PutSignalOutcome | Retry> => ({
    sql,
    params: [runId, s.key, s.name, s.seq, s.output, s.at, now, maxSignals ?? null],
    parse: parsePutSignal,
  });
