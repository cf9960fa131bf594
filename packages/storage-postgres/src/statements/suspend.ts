import type { SuspendOutcome, SuspendRequest } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { num } from './rows.ts';
import type { Statement } from './statement.ts';

/**
 * suspend: park the run, fenced like finish.ts (every decision on the latest head row, locked
 * first in `held`), in ONE statement with no retry, however many signals arrive meanwhile.
 *
 * The wake time depends on another table: "is the awaited signal already stored?" can only be read
 * from the statement's snapshot, which misses a signal committed between the snapshot and our row
 * lock. Such a signal bumped `runs.signals` under that lock, so the locked row's count differs
 * from the snapshot's: the run is then due at once (`at`), as it would be had that signal arrived
 * just after us (any signal wakes a suspended run). Equal counts mean the snapshot holds every
 * signal of the run, and its answer is exact. A signal that commits after us finds the run
 * `suspended` and wakes it itself.
 *
 * A resend whose first reply was lost finds the owner cleared and the run suspended: it answers
 * the stored wake time (a signal may have moved it since) and changes nothing. On a cancelled run
 * its owner gets `cancelled`, nothing changed.
 *
 * Params: $1 run id, $2 owner, $3 at, $4 wake at, $5 awaited signal key or NULL.
 */
export const suspendSql = (t: TableNames): string => `
WITH seen AS (
  SELECT signals FROM ${t.runs} WHERE run_id = $1::text
),
held AS (
  SELECT run_id, owner, status, lease_expires_at, signals FROM ${t.runs} WHERE run_id = $1::text
  FOR NO KEY UPDATE
),
parked AS (
  UPDATE ${t.runs} r SET
    status = 'suspended', owner = NULL, claimed_from = NULL, updated_at = $3::bigint,
    lease_expires_at = CASE
      WHEN $5::text IS NOT NULL AND (
        h.signals IS DISTINCT FROM (SELECT signals FROM seen)
        OR EXISTS (SELECT FROM ${t.steps} s WHERE s.run_id = $1::text AND s.step_key = $5::text)
      ) THEN $3::bigint
      ELSE $4::bigint
    END
  FROM held h
  WHERE r.run_id = h.run_id AND h.owner = $2::text AND h.status <> 'cancelled'
  RETURNING r.lease_expires_at
)
SELECT CASE
    WHEN EXISTS (SELECT FROM parked) THEN 'suspended'
    WHEN EXISTS (SELECT FROM held WHERE owner = $2::text) THEN 'cancelled'
    WHEN EXISTS (SELECT FROM held WHERE owner IS NULL AND status = 'suspended') THEN 'suspended'
    ELSE 'lease-lost'
  END AS outcome,
  COALESCE((SELECT lease_expires_at FROM parked), (SELECT lease_expires_at FROM held))::float8 AS wake_at`;

const parseSuspend = (rows: readonly Row[]): SuspendOutcome => {
  const row = rows[0];
  switch (row?.outcome) {
    case 'suspended':
      // Epoch ms up to FOREVER (8.64e15 < 2^53) are exact in a float8 and in a JS number.
      return { kind: 'suspended', wakeAt: num(row, 'wake_at') };
    case 'lease-lost':
      return { kind: 'lease-lost' };
    case 'cancelled':
      return { kind: 'cancelled' };
    default:
      throw new Error(`postgres storage: suspend returned outcome ${String(row?.outcome)}`);
  }
};

export const suspendStatement =
  (sql: string) =>
  ({ runId, owner, at, wakeAt, signalKey }: SuspendRequest): Statement<SuspendOutcome> => ({
    sql,
    params: [runId, owner, at, wakeAt, signalKey ?? null],
    parse: parseSuspend,
  });
