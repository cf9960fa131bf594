import type { SuspendOutcome, SuspendRequest } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { num } from './rows.ts';
import { RETRY, type Retry, type Statement } from './statement.ts';

/**
 * suspend: fenced like the writes of writes.ts (owner tested under the head row lock, version
 * bumped), plus the snapshot test of claim.ts, because the wake time depends on another table:
 * "is the awaited signal already stored?" is read from the statement's snapshot. A `putSignal`
 * that committed between that snapshot and our row lock bumped the version (every write does), so
 * the versions differ: nothing is changed and the statement is re-run (`retry`), and the fresh
 * snapshot sees the signal. Equal versions mean the snapshot's steps are the latest ones. A
 * `putSignal` that commits after us finds the run `suspended` and wakes it itself.
 *
 * A resend whose first reply was lost finds the owner cleared and the run suspended: it answers
 * the stored wake time (a signal may have moved it since) and changes nothing.
 *
 * Params: $1 run id, $2 owner, $3 at, $4 wake at, $5 awaited signal key or NULL.
 */
export const suspendSql = (t: TableNames): string => `
WITH seen AS (
  SELECT version, owner, status, lease_expires_at FROM ${t.runs} WHERE run_id = $1::text
),
parked AS (
  UPDATE ${t.runs} r SET
    status = 'suspended', owner = NULL, updated_at = $3::bigint, version = r.version + 1,
    lease_expires_at = CASE
      WHEN $5::text IS NOT NULL
        AND EXISTS (SELECT FROM ${t.steps} s WHERE s.run_id = $1::text AND s.step_key = $5::text)
      THEN $3::bigint
      ELSE $4::bigint
    END
  WHERE r.run_id = $1::text AND r.owner = $2::text AND r.version = (SELECT version FROM seen)
  RETURNING r.lease_expires_at
)
SELECT CASE
    WHEN EXISTS (SELECT FROM parked) THEN 'suspended'
    WHEN EXISTS (SELECT FROM seen WHERE owner IS NULL AND status = 'suspended') THEN 'suspended'
    WHEN EXISTS (SELECT FROM seen WHERE owner = $2::text) THEN 'retry'
    ELSE 'lease-lost'
  END AS outcome,
  COALESCE((SELECT lease_expires_at FROM parked), (SELECT lease_expires_at FROM seen))::float8 AS wake_at`;

const parseSuspend = (rows: readonly Row[]): SuspendOutcome | Retry => {
  const row = rows[0];
  switch (row?.outcome) {
    case 'suspended':
      // Epoch ms up to FOREVER (8.64e15 < 2^53) are exact in a float8 and in a JS number.
      return { kind: 'suspended', wakeAt: num(row, 'wake_at') };
    case 'lease-lost':
      return { kind: 'lease-lost' };
    case 'retry':
      return RETRY;
    default:
      throw new Error(`postgres storage: suspend returned outcome ${String(row?.outcome)}`);
  }
};

export const suspendStatement =
  (sql: string) =>
  ({ runId, owner, at, wakeAt, signalKey }: SuspendRequest): Statement<SuspendOutcome | Retry> => ({
    sql,
    params: [runId, owner, at, wakeAt, signalKey ?? null],
    parse: parseSuspend,
  });
