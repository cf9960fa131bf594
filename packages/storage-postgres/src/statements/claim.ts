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
 * claim: create, take over, replay or refuse a run, and return it with all its steps and cleanups,
 * in ONE statement (one round trip whatever the number of steps).
 *
 * How it stays atomic under READ COMMITTED (the default; the statement runs in its own implicit
 * transaction):
 * - Every CTE and the final SELECT read the same snapshot, taken when the statement starts; the
 *   upsert alone acts on the LATEST committed head row, after locking it (waiting for any writer
 *   holding it).
 * - So a write committed between our snapshot and our row lock (the previous owner's last
 *   `putStep`, say) would be missing from the steps we return: we would take over a run without
 *   seeing a step or, worse, a pending cleanup it registered.
 * - To rule that out, every write to a run also bumps `runs.version` under the head row lock, and
 *   the takeover only happens if the locked (latest) version equals the version in our snapshot
 *   (`seen`). Equal versions mean no write committed in between, so the snapshot's steps and
 *   cleanups are exactly the run we took over. Unequal: nothing is changed and the outcome is
 *   `retry`; the caller runs the statement again with a fresh snapshot (rare: a race on this run).
 * - A concurrent creation of the same id is the same case: the insert conflicts with a row our
 *   snapshot does not have, the version test fails (NULL), and the retry sees the row: `busy`.
 * - `busy` and `completed` are decided on the snapshot, where no write happened: a consistent
 *   answer as of the statement's start.
 * - `previous_status` is the snapshot's status: when the takeover happens the versions are equal,
 *   so it is the status the run had right before the claim (NULL when the claim created it).
 * - A `cancelled` run stays `cancelled` when taken over: its new owner only runs its cleanups.
 *
 * Params: $1 run id, $2 owner, $3 now, $4 lease ms.
 */
export const claimSql = (t: TableNames): string => `
WITH seen AS (
  SELECT * FROM ${t.runs} WHERE run_id = $1::text
),
claimed AS (
  INSERT INTO ${t.runs} AS r (run_id, status, owner, lease_expires_at, attempt, created_at, updated_at, error, version)
  VALUES ($1::text, 'running', $2::text, $3::bigint + $4::bigint, 1, $3::bigint, $3::bigint, NULL, 0)
  ON CONFLICT (run_id) DO UPDATE SET
    status = CASE WHEN r.status = 'cancelled' THEN 'cancelled' ELSE 'running' END,
    owner = excluded.owner, lease_expires_at = excluded.lease_expires_at,
    attempt = r.attempt + 1, updated_at = excluded.updated_at, version = r.version + 1
  WHERE r.status <> 'completed'
    AND (r.owner IS NULL OR r.lease_expires_at <= $3::bigint OR r.owner = $2::text)
    AND r.version = (SELECT version FROM seen)
  RETURNING r.*
),
outcome AS (
  SELECT CASE
    WHEN EXISTS (SELECT FROM claimed) THEN 'claimed'
    WHEN EXISTS (SELECT FROM seen WHERE status = 'completed') THEN 'completed'
    WHEN EXISTS (SELECT FROM seen WHERE NOT (owner IS NULL OR lease_expires_at <= $3::bigint OR owner = $2::text))
      THEN 'busy'
    ELSE 'retry'
  END AS kind
),
head AS (
  SELECT * FROM claimed
  UNION ALL
  SELECT * FROM seen WHERE NOT EXISTS (SELECT FROM claimed)
)
SELECT ${selectList({ rec: `'run'`, outcome: 'o.kind', previous_status: '(SELECT status FROM seen)', ...headColumns('h') })}
FROM outcome o LEFT JOIN head h ON o.kind <> 'retry'
UNION ALL
SELECT ${selectList(stepColumns('s'))}
FROM ${t.steps} s, outcome o
WHERE s.run_id = $1::text AND o.kind IN ('claimed', 'completed')
UNION ALL
SELECT ${selectList(cleanupColumns('c'))}
FROM ${t.cleanups} c, outcome o
WHERE c.run_id = $1::text AND o.kind IN ('claimed', 'completed')`;

const parseClaim = (rows: readonly Row[]): ClaimOutcome | Retry => {
  const { head, snapshot } = toSnapshot(rows);
  const kind = head?.outcome;
  if (kind === 'retry') return RETRY;
  if (head === undefined || snapshot === undefined)
    throw new Error(`postgres storage: claim returned no run`);
  if (kind === 'busy') return { kind: 'busy', run: toHead(head) };
  if (kind === 'claimed') return { kind, snapshot, previousStatus: nullableStatus(head, 'previous_status') };
  if (kind === 'completed') return { kind, snapshot };
  throw new Error(`postgres storage: claim returned outcome ${String(kind)}`);
};

export const claimStatement =
  (sql: string) =>
  (r: ClaimRequest): Statement<ClaimOutcome | Retry> => ({
    sql,
    params: [r.runId, r.owner, r.now, r.leaseMs],
    parse: parseClaim,
  });
