-- durable-x tables for a Windmill data table (default names: schema public, prefix durable_x_).
-- The same DDL the storage runs on first use; generated from @td7x/durable-x-postgres schemaSql()
-- (`pnpm run migration:sql`).

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
  version          BIGINT NOT NULL DEFAULT 0,
  signals          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS "public"."durable_x_steps" (
  run_id   TEXT COLLATE "C" NOT NULL REFERENCES "public"."durable_x_runs" (run_id) ON DELETE CASCADE,
  step_key TEXT COLLATE "C" NOT NULL,
  name     TEXT NOT NULL,
  seq      BIGINT NOT NULL,
  output   TEXT NOT NULL,
  at       BIGINT NOT NULL,
  PRIMARY KEY (run_id, step_key)
);

CREATE TABLE IF NOT EXISTS "public"."durable_x_cleanups" (
  run_id     TEXT COLLATE "C" NOT NULL REFERENCES "public"."durable_x_runs" (run_id) ON DELETE CASCADE,
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
