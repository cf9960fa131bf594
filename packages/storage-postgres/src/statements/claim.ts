import type { ClaimOutcome, ClaimRequest } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { nullableStatus, toHead, toSnapshot } from './rows.ts';
import type { Statement } from './statement.ts';

/*
 * claim: create, take over, answer a resend, or refuse a run, and return it with all its steps and
 * cleanups, in ONE statement (one round trip whatever the number of steps): a call of the
 * function below, which `migrate` creates with the tables.
 *
 * Why a function. The snapshot a takeover returns must include every fenced write applied before
 * the takeover (contract.ts): a step or a cleanup the old owner wrote just before would otherwise
 * be re-run or lost. A fenced write holds a lock on the run's row until it commits (writes.ts).
 * In ONE plain statement under READ COMMITTED, every read uses the snapshot taken when the
 * statement starts, before it could wait for that lock: a write committed in between is missing,
 * unless it also left a new version of the row (which the row lock does re-read). That is what
 * the fence used to do, an UPDATE of the row on every step: a new tuple and its WAL per step. In a
 * VOLATILE PL/pgSQL function, each statement takes a fresh snapshot: the function locks the row
 * FIRST (waiting for a fenced write that holds it), and reads the records AFTER, in a snapshot that
 * holds every write that had the lock before it. A write that comes after waits for the claim to
 * commit, then finds another owner: `lease-lost`.
 *
 * - Most claims create their run: that is tried first, in one statement (`ON CONFLICT DO NOTHING`
 *   leaves an existing run untouched and unlocked; it only waits for a transaction deleting it).
 * - A completed run changes no more (only a late signal may add a record): its head and records
 *   are read in one snapshot, without a lock, so that concurrent replays of a completed run do not
 *   queue on its row (nor write a lock to it). A run purged meanwhile reads as absent, and the
 *   claim goes on as for an absent run.
 * - Every other answer is decided on the LOCKED row: absent → created (only without `ifOwner`;
 *   records a purge raced with a write of them are deleted first: they are not this run's); a
 *   resend of this very claim (`owner` is ours) → its snapshot with the `previousStatus` the
 *   first arrival answered (`claimed_from`); free → taken over (a `cancelled` run stays
 *   `cancelled`); else `busy` with the head.
 * - A concurrent creation of the same id: the INSERT finds the other's row (ON CONFLICT DO
 *   NOTHING waits for it), and the function locks that row and decides again: `busy`.
 * - `ifOwner`: take over only from exactly that owner, whatever its lease (and, with
 *   `ifLeaseExpiresAt`, only while that lease still ends then: not renewed since), never create.
 * - Signals (not fenced) take the row lock too (signal.ts): one committed before the claim's lock is
 *   in its answer; a later one wakes the run itself, or `suspend` finds it.
 *
 * Columns: the shared row layout of rows.ts (`rec` says which rows are the head, steps, cleanups).
 */

/** The columns the function returns (rows.ts's layout), with their SQL types. */
const RESULT_COLUMNS = `rec text, outcome text, previous_status text, run_id text, status text, owner text,
  lease_expires_at float8, attempt int4, created_at float8, updated_at float8, error text,
  key text, name text, id float8, seq float8, value text, at float8`;

/**
 * A head row of the layout from `h` (the row variable, or a table aliased `h`); `kind` and
 * `previous` are SQL expressions.
 */
const headRow = (kind: string, previous: string): string =>
  `SELECT 'run'::text, ${kind}, ${previous}, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8`;

/** The records of the run `p_run_id` in the layout (steps then cleanups), read with a fresh snapshot. */
const recordRows = (t: TableNames): string =>
  `SELECT 'step'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      s.step_key::text, s.name, NULL::float8, s.seq::float8, s.output, s.at::float8
    FROM ${t.steps} s WHERE s.run_id = p_run_id
    UNION ALL
    SELECT 'cleanup'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      NULL::text, c.name, c.cleanup_id::float8, c.seq::float8, c.params, c.at::float8
    FROM ${t.cleanups} c WHERE c.run_id = p_run_id`;

/** The DDL of the claim function (part of the schema: schema.ts runs it in `migrate`). */
export const claimFunctionSql = (t: TableNames): string => `CREATE OR REPLACE FUNCTION ${t.claim}(
  p_run_id text, p_owner text, p_now bigint, p_lease_ms bigint, p_if_owner text, p_if_lease bigint
) RETURNS TABLE (${RESULT_COLUMNS})
LANGUAGE plpgsql VOLATILE AS $claim$
#variable_conflict use_column
DECLARE
  h ${t.runs}%ROWTYPE;
  previous text;
  free boolean;
BEGIN
  IF p_if_owner IS NULL THEN
    -- Most claims create their run: try that first, in one statement. A run that exists is not
    -- touched (ON CONFLICT DO NOTHING takes no lock on it) and is decided below. Records a write
    -- racing a purge left under this id are not the new run's: they go with its creation.
    WITH created AS (
      INSERT INTO ${t.runs} AS r (run_id, status, owner, claimed_from, lease_expires_at, attempt, created_at, updated_at)
      VALUES (p_run_id, 'running', p_owner, NULL, p_now + p_lease_ms, 1, p_now, p_now)
      ON CONFLICT (run_id) DO NOTHING
      RETURNING *
    ),
    steps_left AS (DELETE FROM ${t.steps} s WHERE s.run_id IN (SELECT c.run_id FROM created c)),
    cleanups_left AS (DELETE FROM ${t.cleanups} x WHERE x.run_id IN (SELECT c.run_id FROM created c))
    SELECT * INTO h FROM created;
    IF FOUND THEN
      RETURN QUERY ${headRow(`'created'::text`, 'NULL::text')};
      RETURN;
    END IF;
  END IF;
  LOOP
    SELECT * INTO h FROM ${t.runs} r WHERE r.run_id = p_run_id;
    IF FOUND AND h.status = 'completed' THEN
      -- head and records from ONE snapshot, no lock; nothing comes back if it was purged meanwhile
      RETURN QUERY
        SELECT * FROM (${headRow(`'completed'::text`, `'completed'::text`)}
          FROM ${t.runs} h WHERE h.run_id = p_run_id AND h.status = 'completed') head
        UNION ALL
        SELECT x.* FROM (${recordRows(t)}) x
          WHERE EXISTS (SELECT FROM ${t.runs} r WHERE r.run_id = p_run_id AND r.status = 'completed');
      IF FOUND THEN RETURN; END IF;
    END IF;
    SELECT * INTO h FROM ${t.runs} r WHERE r.run_id = p_run_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      IF p_if_owner IS NOT NULL THEN
        RETURN QUERY ${headRow(`'not-found'::text`, 'NULL::text')};
        RETURN;
      END IF;
      DELETE FROM ${t.steps} s WHERE s.run_id = p_run_id;
      DELETE FROM ${t.cleanups} c WHERE c.run_id = p_run_id;
      INSERT INTO ${t.runs} AS r (run_id, status, owner, claimed_from, lease_expires_at, attempt, created_at, updated_at)
        VALUES (p_run_id, 'running', p_owner, NULL, p_now + p_lease_ms, 1, p_now, p_now)
        ON CONFLICT (run_id) DO NOTHING
        RETURNING * INTO h;
      IF FOUND THEN
        RETURN QUERY ${headRow(`'created'::text`, 'NULL::text')};
        RETURN;
      END IF;
      -- created meanwhile by another claim: lock that run and decide again
      CONTINUE;
    END IF;
    IF h.status = 'completed' THEN
      -- completed between the two reads: answered as above, on the next turn
      CONTINUE;
    END IF;
    IF h.owner = p_owner THEN
      -- this very claim arrived twice (owner tokens are unique per load): answer as the first did
      RETURN QUERY ${headRow(`'resent'::text`, 'h.claimed_from')} UNION ALL ${recordRows(t)};
      RETURN;
    END IF;
    -- an assignment, not IF CASE …: an IF condition ends at its first THEN
    free := CASE WHEN p_if_owner IS NULL
        THEN h.owner IS NULL OR h.lease_expires_at <= p_now
        ELSE h.owner = p_if_owner AND (p_if_lease IS NULL OR h.lease_expires_at = p_if_lease)
      END;
    IF free THEN
      previous := h.status;
      UPDATE ${t.runs} r SET
        status = CASE WHEN r.status = 'cancelled' THEN 'cancelled' ELSE 'running' END,
        owner = p_owner, claimed_from = r.status, lease_expires_at = p_now + p_lease_ms,
        attempt = r.attempt + 1, updated_at = p_now
        WHERE r.run_id = p_run_id
        RETURNING * INTO h;
      RETURN QUERY ${headRow(`'taken'::text`, 'previous')} UNION ALL ${recordRows(t)};
      RETURN;
    END IF;
    RETURN QUERY ${headRow(`'busy'::text`, 'NULL::text')};
    RETURN;
  END LOOP;
END
$claim$`;

/** Params: $1 run id, $2 owner, $3 now, $4 lease ms, $5 ifOwner or NULL, $6 ifLeaseExpiresAt or NULL. */
export const claimSql = (t: TableNames): string =>
  `SELECT * FROM ${t.claim}($1::text, $2::text, $3::bigint, $4::bigint, $5::text, $6::bigint)`;

const parseClaim = (rows: readonly Row[]): ClaimOutcome => {
  const { head, snapshot } = toSnapshot(rows);
  const kind = head?.outcome;
  if (kind === 'not-found') return { kind };
  if (head === undefined || snapshot === undefined)
    throw new Error(`postgres storage: claim returned no run`);
  switch (kind) {
    case 'taken':
    case 'resent':
    case 'created':
      // The status before this owner's claim; NULL when it created the run.
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
  (r: ClaimRequest): Statement<ClaimOutcome> => ({
    sql,
    params: [r.runId, r.owner, r.now, r.leaseMs, r.ifOwner ?? null, r.ifLeaseExpiresAt ?? null],
    parse: parseClaim,
  });
