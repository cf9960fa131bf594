/**
 * The tables as version 0.1.0 created them (its schema.sql, names as parameters), before the
 * statuses `suspended` and `cancelled` existed: what an upgraded adapter finds in a user's database.
 */
export const previousSchemaSql = (schema: string, prefix: string): string => {
  const table = (name: string) => `"${schema}"."${prefix}${name}"`;
  return `
CREATE TABLE ${table('runs')} (
  run_id           TEXT COLLATE "C" PRIMARY KEY,
  status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'compensated')),
  owner            TEXT COLLATE "C",
  lease_expires_at BIGINT NOT NULL,
  attempt          INTEGER NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  error            TEXT,
  version          BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ${table('steps')} (
  run_id   TEXT COLLATE "C" NOT NULL REFERENCES ${table('runs')} (run_id) ON DELETE CASCADE,
  step_key TEXT COLLATE "C" NOT NULL,
  name     TEXT NOT NULL,
  seq      BIGINT NOT NULL,
  output   TEXT NOT NULL,
  at       BIGINT NOT NULL,
  PRIMARY KEY (run_id, step_key)
);
CREATE TABLE ${table('cleanups')} (
  run_id     TEXT COLLATE "C" NOT NULL REFERENCES ${table('runs')} (run_id) ON DELETE CASCADE,
  cleanup_id BIGINT NOT NULL,
  name       TEXT NOT NULL,
  seq        BIGINT NOT NULL,
  params     TEXT NOT NULL,
  at         BIGINT NOT NULL,
  PRIMARY KEY (run_id, cleanup_id)
);
CREATE INDEX "${prefix}runs_by_age" ON ${table('runs')} (updated_at, run_id);
CREATE INDEX "${prefix}runs_by_status" ON ${table('runs')} (status, updated_at, run_id);
CREATE INDEX "${prefix}runs_running_by_age" ON ${table('runs')} (updated_at, run_id) INCLUDE (lease_expires_at) WHERE status = 'running';
`;
};
