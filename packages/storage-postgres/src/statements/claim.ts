import type { ClaimOutcome, ClaimRequest } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import {
  cleanupColumns,
  headColumns,
  nullableStatus,
  selectList,
  stepColumns,
  toHead,
  toSnapshot,
} from './rows.ts';
import { RETRY, type Retry, type Statement } from './statement.ts';

/**
 * claim: create, take over, answer a resend, or refuse a run, and return it with all its steps and
 * cleanups, in ONE statement (one round trip whatever the number of steps).
 *
 * How it stays atomic under READ COMMITTED (the default; the statement runs in its own implicit
 * transaction):
 * - Every CTE and the final SELECT read the same snapshot, taken when the statement starts; the
 *   UPDATE (`taken`) alone acts on the LATEST committed head row, after locking it (waiting for any
 *   writer holding it), and re-checks its WHERE on that row.
 * - So a write committed between our snapshot and our row lock (the previous owner's last
 *   `putStep`, say) would be missing from the records we return: we would take over a run without
 *   seeing a step or, worse, a pending cleanup it registered. Every write that changes a run's
 *   records bumps `runs.version` under the head row lock, and the takeover only happens if the
 *   locked version equals the version in our snapshot (`seen`): then the snapshot's steps and
 *   cleanups are exactly those of the run we took over. Otherwise nothing is changed and the
 *   outcome is `retry`: the caller runs the statement again with a fresh snapshot.
 * - Signals do not bump the version, so that a flood of them cannot keep a claim retrying. A signal
 *   committed in that window is missing from our answer, which makes it late, never lost: the
 *   run's `suspend` finds it (statements/suspend.ts), and a wait past its deadline records its
 *   timeout with `putSignal` under the same key, which answers the stored signal.
 * - Everything the head says comes from the locked row: the head itself (`RETURNING`) and the
 *   status it had before (`claimed_from = r.status`, kept for a resend of this claim).
 * - The run is created (`created`) only when no takeover happened, by an INSERT … ON CONFLICT DO
 *   NOTHING that sees the latest rows: it creates nothing if the run exists, and waits for a
 *   transaction that is deleting it. If a purge deleted the run after our snapshot, the INSERT
 *   creates it anew, and the answer is that new run (attempt 1, no records, previousStatus NULL),
 *   not the purged one that our snapshot still shows.
 * - A concurrent creation of the same id: the INSERT conflicts with a row our snapshot lacks, so
 *   nothing happened and the outcome is `retry`; the retry sees the row and answers `busy`.
 * - `completed`, a resent claim (`owner` is already ours) and `busy` are decided on the snapshot,
 *   where nothing was written: a consistent answer as of the statement's start.
 * - A `cancelled` run stays `cancelled` when taken over: its new owner only runs its cleanups.
 * - `ifOwner`: take over only from exactly that owner, whatever its lease (and, with
 *   `ifLeaseExpiresAt`, only while that lease still ends then: not renewed since), never create.
 *
 * Params: $1 run id, $2 owner, $3 now, $4 lease ms, $5 ifOwner or NULL, $6 ifLeaseExpiresAt or NULL.
 */
export const claimSql = (t: TableNames): string => {
  // Whether a run (alias `x`) may be taken over by this claim.
  const free = (x: string) => `CASE WHEN $5::text IS NULL
      THEN ${x}.owner IS NULL OR ${x}.lease_expires_at <= $3::bigint
      ELSE ${x}.owner = $5::text AND ($6::bigint IS NULL OR ${x}.lease_expires_at = $6::bigint)
    END`;
  return `
WITH seen AS (
  SELECT * FROM ${t.runs} WHERE run_id = $1::text
),
taken AS (
  UPDATE ${t.runs} r SET
    status = CASE WHEN r.status = 'cancelled' THEN 'cancelled' ELSE 'running' END,
    owner = $2::text, claimed_from = r.status, lease_expires_at = $3::bigint + $4::bigint,
    attempt = r.attempt + 1, updated_at = $3::bigint
  WHERE r.run_id = $1::text AND r.status <> 'completed' AND r.owner IS DISTINCT FROM $2::text
    AND ${free('r')}
    AND r.version = (SELECT version FROM seen)
  RETURNING r.*
),
created AS (
  INSERT INTO ${t.runs} (run_id, status, owner, claimed_from, lease_expires_at, attempt, created_at, updated_at)
  SELECT $1::text, 'running', $2::text, NULL, $3::bigint + $4::bigint, 1, $3::bigint, $3::bigint
  WHERE $5::text IS NULL AND NOT EXISTS (SELECT FROM taken)
  ON CONFLICT (run_id) DO NOTHING
  RETURNING *
),
outcome AS (
  SELECT CASE
    WHEN EXISTS (SELECT FROM taken) THEN 'taken'
    WHEN EXISTS (SELECT FROM created) THEN 'created'
    WHEN NOT EXISTS (SELECT FROM seen) THEN CASE WHEN $5::text IS NULL THEN 'retry' ELSE 'not-found' END
    WHEN EXISTS (SELECT FROM seen WHERE status = 'completed') THEN 'completed'
    WHEN EXISTS (SELECT FROM seen WHERE owner = $2::text) THEN 'resent'
    WHEN EXISTS (SELECT FROM seen s WHERE ${free('s')}) THEN 'retry'
    ELSE 'busy'
  END AS kind
),
head AS (
  SELECT * FROM taken
  UNION ALL
  SELECT * FROM created
  UNION ALL
  SELECT * FROM seen WHERE NOT EXISTS (SELECT FROM taken) AND NOT EXISTS (SELECT FROM created)
)
SELECT ${selectList({ rec: `'run'`, outcome: 'o.kind', previous_status: 'h.claimed_from', ...headColumns('h') })}
FROM outcome o LEFT JOIN head h ON o.kind NOT IN ('retry', 'not-found')
UNION ALL
SELECT ${selectList(stepColumns('s'))}
FROM ${t.steps} s, outcome o
WHERE s.run_id = $1::text AND o.kind IN ('taken', 'resent', 'completed')
UNION ALL
SELECT ${selectList(cleanupColumns('c'))}
FROM ${t.cleanups} c, outcome o
WHERE c.run_id = $1::text AND o.kind IN ('taken', 'resent', 'completed')`;
};

const parseClaim = (rows: readonly Row[]): ClaimOutcome | Retry => {
  const { head, snapshot } = toSnapshot(rows);
  const kind = head?.outcome;
  if (kind === 'retry') return RETRY;
  if (kind === 'not-found') return { kind };
  if (head === undefined || snapshot === undefined)
    throw new Error(`postgres storage: claim returned no run`);
  switch (kind) {
    case 'taken':
    case 'resent':
    case 'created':
      // `claimed_from` of the claimed row: the status before this owner's claim, NULL if it created the run.
      return { kind: 'claimed', snapshot, previousStatus: nullableStatus(head, 'previous_status') };
    case 'completed':
      return { kind, snapshot };
    case 'busy':
      return { kind, run: toHead(head) };
    default:
      throw new Error(`postgres storage: claim returned outcome ${String(kind)}`);
  }
};

export const claimStatement =
  (sql: string) =>
  (r: ClaimRequest): Statement<ClaimOutcome | Retry> => ({
    sql,
    params: [r.runId, r.owner, r.now, r.leaseMs, r.ifOwner ?? null, r.ifLeaseExpiresAt ?? null],
    parse: parseClaim,
  });
