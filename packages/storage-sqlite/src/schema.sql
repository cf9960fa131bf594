-- durable-x SQLite schema (generated from src/schema.ts by `pnpm run schema`; do not edit).
-- Table prefix: dx_. Apply with migrate(db) or let sqliteStorage(db) create it on first use.

CREATE TABLE IF NOT EXISTS "dx_runs" (
  run_id           TEXT    NOT NULL PRIMARY KEY,
  status           TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'compensated', 'suspended', 'cancelled')),
  owner            TEXT,
  lease_expires_at INTEGER NOT NULL,
  attempt          INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  error            TEXT,
  claimed_from     TEXT    CHECK (claimed_from IN ('running', 'completed', 'failed', 'compensated', 'suspended', 'cancelled'))
) STRICT;

CREATE INDEX IF NOT EXISTS "dx_runs_by_status_age" ON "dx_runs" (status, updated_at, run_id);

CREATE INDEX IF NOT EXISTS "dx_runs_by_lease" ON "dx_runs" (status, lease_expires_at);

CREATE INDEX IF NOT EXISTS "dx_runs_by_age" ON "dx_runs" (updated_at, run_id);

CREATE TABLE IF NOT EXISTS "dx_steps" (
  run_id      TEXT    NOT NULL,
  step_key    TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  output      TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_key)
) STRICT;

CREATE TABLE IF NOT EXISTS "dx_cleanups" (
  run_id        TEXT    NOT NULL,
  cleanup_id    INTEGER NOT NULL,
  name          TEXT    NOT NULL,
  seq           INTEGER NOT NULL,
  params        TEXT    NOT NULL,
  registered_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, cleanup_id)
) STRICT;
