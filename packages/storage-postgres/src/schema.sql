-- durable-x PostgreSQL schema for the default names (schema "public", table prefix "durable_x_").
-- Generated from src/schema.ts (`pnpm run schema:sql`); `migrate()` runs the same statements.
-- Idempotent. A purge deletes a run with its steps and cleanups; claim is a function (statements/claim.ts).

CREATE SCHEMA IF NOT EXISTS "public";

CREATE TABLE IF NOT EXISTS "public"."durable_x_runs" (
  run_id           TEXT COLLATE "C" PRIMARY KEY,
  status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'compensated', 'suspended', 'cancelled')),
  owner            TEXT COLLATE "C",
  claimed_from     TEXT CHECK (claimed_from IN ('running', 'completed', 'failed', 'compensated', 'suspended', 'cancelled')),
  lease_expires_at BIGINT NOT NULL,
  attempt          INTEGER NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  error            TEXT,
  signals          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS "public"."durable_x_steps" (
  run_id   TEXT COLLATE "C" NOT NULL,
  step_key TEXT COLLATE "C" NOT NULL,
  name     TEXT NOT NULL,
  seq      BIGINT NOT NULL,
  output   TEXT NOT NULL,
  at       BIGINT NOT NULL,
  PRIMARY KEY (run_id, step_key)
);

CREATE TABLE IF NOT EXISTS "public"."durable_x_cleanups" (
  run_id     TEXT COLLATE "C" NOT NULL,
  cleanup_id BIGINT NOT NULL,
  name       TEXT NOT NULL,
  seq        BIGINT NOT NULL,
  params     TEXT NOT NULL,
  at         BIGINT NOT NULL,
  PRIMARY KEY (run_id, cleanup_id)
);

CREATE INDEX IF NOT EXISTS "durable_x_runs_by_age" ON "public"."durable_x_runs" (updated_at, run_id);

CREATE INDEX IF NOT EXISTS "durable_x_runs_by_status" ON "public"."durable_x_runs" (status, updated_at, run_id);

CREATE INDEX IF NOT EXISTS "durable_x_runs_running_by_age" ON "public"."durable_x_runs" (updated_at, run_id) INCLUDE (lease_expires_at) WHERE status = 'running';

CREATE INDEX IF NOT EXISTS "durable_x_runs_parked_by_age" ON "public"."durable_x_runs" (updated_at, run_id) INCLUDE (lease_expires_at) WHERE status = 'suspended';

CREATE INDEX IF NOT EXISTS "durable_x_runs_parked_by_wake" ON "public"."durable_x_runs" (lease_expires_at) WHERE status = 'suspended';

CREATE OR REPLACE FUNCTION "public"."durable_x_claim"(
  p_run_id text, p_owner text, p_now bigint, p_lease_ms bigint, p_if_owner text, p_if_lease bigint
) RETURNS TABLE (rec text, outcome text, previous_status text, run_id text, status text, owner text,
  lease_expires_at float8, attempt int4, created_at float8, updated_at float8, error text,
  key text, name text, id float8, seq float8, value text, at float8)
LANGUAGE plpgsql VOLATILE AS $claim$
#variable_conflict use_column
DECLARE
  h "public"."durable_x_runs"%ROWTYPE;
  previous text;
  free boolean;
BEGIN
  IF p_if_owner IS NULL THEN
    -- Most claims create their run: try that first, in one statement. A run that exists is not
    -- touched (ON CONFLICT DO NOTHING takes no lock on it) and is decided below. Records a write
    -- racing a purge left under this id are not the new run's: they go with its creation.
    WITH created AS (
      INSERT INTO "public"."durable_x_runs" AS r (run_id, status, owner, claimed_from, lease_expires_at, attempt, created_at, updated_at)
      VALUES (p_run_id, 'running', p_owner, NULL, p_now + p_lease_ms, 1, p_now, p_now)
      ON CONFLICT (run_id) DO NOTHING
      RETURNING *
    ),
    steps_left AS (DELETE FROM "public"."durable_x_steps" s WHERE s.run_id IN (SELECT c.run_id FROM created c)),
    cleanups_left AS (DELETE FROM "public"."durable_x_cleanups" x WHERE x.run_id IN (SELECT c.run_id FROM created c))
    SELECT * INTO h FROM created;
    IF FOUND THEN
      RETURN QUERY SELECT 'run'::text, 'created'::text, NULL::text, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8;
      RETURN;
    END IF;
  END IF;
  LOOP
    SELECT * INTO h FROM "public"."durable_x_runs" r WHERE r.run_id = p_run_id;
    IF FOUND AND h.status = 'completed' THEN
      -- head and records from ONE snapshot, no lock; nothing comes back if it was purged meanwhile
      RETURN QUERY
        SELECT * FROM (SELECT 'run'::text, 'completed'::text, 'completed'::text, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8
          FROM "public"."durable_x_runs" h WHERE h.run_id = p_run_id AND h.status = 'completed') head
        UNION ALL
        SELECT x.* FROM (SELECT 'step'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      s.step_key::text, s.name, NULL::float8, s.seq::float8, s.output, s.at::float8
    FROM "public"."durable_x_steps" s WHERE s.run_id = p_run_id
    UNION ALL
    SELECT 'cleanup'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      NULL::text, c.name, c.cleanup_id::float8, c.seq::float8, c.params, c.at::float8
    FROM "public"."durable_x_cleanups" c WHERE c.run_id = p_run_id) x
          WHERE EXISTS (SELECT FROM "public"."durable_x_runs" r WHERE r.run_id = p_run_id AND r.status = 'completed');
      IF FOUND THEN RETURN; END IF;
    END IF;
    SELECT * INTO h FROM "public"."durable_x_runs" r WHERE r.run_id = p_run_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      IF p_if_owner IS NOT NULL THEN
        RETURN QUERY SELECT 'run'::text, 'not-found'::text, NULL::text, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8;
        RETURN;
      END IF;
      DELETE FROM "public"."durable_x_steps" s WHERE s.run_id = p_run_id;
      DELETE FROM "public"."durable_x_cleanups" c WHERE c.run_id = p_run_id;
      INSERT INTO "public"."durable_x_runs" AS r (run_id, status, owner, claimed_from, lease_expires_at, attempt, created_at, updated_at)
        VALUES (p_run_id, 'running', p_owner, NULL, p_now + p_lease_ms, 1, p_now, p_now)
        ON CONFLICT (run_id) DO NOTHING
        RETURNING * INTO h;
      IF FOUND THEN
        RETURN QUERY SELECT 'run'::text, 'created'::text, NULL::text, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8;
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
      RETURN QUERY SELECT 'run'::text, 'resent'::text, h.claimed_from, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8 UNION ALL SELECT 'step'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      s.step_key::text, s.name, NULL::float8, s.seq::float8, s.output, s.at::float8
    FROM "public"."durable_x_steps" s WHERE s.run_id = p_run_id
    UNION ALL
    SELECT 'cleanup'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      NULL::text, c.name, c.cleanup_id::float8, c.seq::float8, c.params, c.at::float8
    FROM "public"."durable_x_cleanups" c WHERE c.run_id = p_run_id;
      RETURN;
    END IF;
    -- an assignment, not IF CASE …: an IF condition ends at its first THEN
    free := CASE WHEN p_if_owner IS NULL
        THEN h.owner IS NULL OR h.lease_expires_at <= p_now
        ELSE h.owner = p_if_owner AND (p_if_lease IS NULL OR h.lease_expires_at = p_if_lease)
      END;
    IF free THEN
      previous := h.status;
      UPDATE "public"."durable_x_runs" r SET
        status = CASE WHEN r.status = 'cancelled' THEN 'cancelled' ELSE 'running' END,
        owner = p_owner, claimed_from = r.status, lease_expires_at = p_now + p_lease_ms,
        attempt = r.attempt + 1, updated_at = p_now
        WHERE r.run_id = p_run_id
        RETURNING * INTO h;
      RETURN QUERY SELECT 'run'::text, 'taken'::text, previous, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8 UNION ALL SELECT 'step'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      s.step_key::text, s.name, NULL::float8, s.seq::float8, s.output, s.at::float8
    FROM "public"."durable_x_steps" s WHERE s.run_id = p_run_id
    UNION ALL
    SELECT 'cleanup'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::float8, NULL::int4, NULL::float8, NULL::float8, NULL::text,
      NULL::text, c.name, c.cleanup_id::float8, c.seq::float8, c.params, c.at::float8
    FROM "public"."durable_x_cleanups" c WHERE c.run_id = p_run_id;
      RETURN;
    END IF;
    RETURN QUERY SELECT 'run'::text, 'busy'::text, NULL::text, h.run_id::text, h.status::text, h.owner::text,
      h.lease_expires_at::float8, h.attempt::int4, h.created_at::float8, h.updated_at::float8, h.error::text,
      NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8;
    RETURN;
  END LOOP;
END
$claim$;
