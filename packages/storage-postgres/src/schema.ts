import type { Execute } from './execute.ts';
import { type TableNames, type TableOptions, tableNames } from './names.ts';
import { RUN_STATUSES } from './statuses.ts';

const STATUS_LIST = RUN_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Tables created by an earlier version check `status` against fewer statuses, and a CHECK cannot be
 * altered: drop each CHECK on `status` that refuses a status of this version, and add the wide one
 * if none is left. Done only when needed, so a migrate of up-to-date tables takes no table lock
 * (adding the constraint locks the runs table ACCESS EXCLUSIVE and scans it, once). A DO block,
 * so that schema.sql can run it too; `migrate` runs it inside its own block.
 */
const widenStatusCheck = (t: TableNames): string => `DO $widen$
DECLARE
  con record;
  has_wide boolean := false;
BEGIN
  FOR con IN
    SELECT k.conname, pg_get_constraintdef(k.oid) LIKE ALL (ARRAY[${RUN_STATUSES.map((s) => `'%''${s}''%'`).join(', ')}]) AS wide
    FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
    WHERE k.conrelid = '${t.runs}'::regclass AND k.contype = 'c' AND a.attname = 'status'
  LOOP
    IF con.wide THEN
      has_wide := true;
    ELSE
      EXECUTE format('ALTER TABLE ${t.runs} DROP CONSTRAINT %I', con.conname);
    END IF;
  END LOOP;
  IF NOT has_wide THEN
    ALTER TABLE ${t.runs} ADD CONSTRAINT ${t.statusCheck} CHECK (status IN (${STATUS_LIST}));
  END IF;
END
$widen$`;

/**
 * The tables, as idempotent DDL. `schema.sql` in this package is this text for the default names
 * (a test keeps them equal), for people who run their own migrations.
 *
 * - Times are BIGINT epoch milliseconds from the core's clock; the database clock is never read.
 * - Ids, keys and names are TEXT COLLATE "C": byte order, so `list` pages the same way on every
 *   server whatever its locale, and comparisons are cheap.
 * - `version` counts every write to a run (head, steps or cleanups). `claim` reads the run in its
 *   statement snapshot and only takes it over if the version is still the same when it holds the
 *   row lock; see statements/claim.ts for why.
 * - Steps and cleanups cascade from the run, so `purge` is one DELETE of heads.
 * - Signals are step records with `seq` 0: no rollback (`seq > afterSeq >= 0`) removes them.
 */
export const schemaStatements = (t: TableNames): readonly string[] => [
  `CREATE SCHEMA IF NOT EXISTS ${t.schema}`,
  `CREATE TABLE IF NOT EXISTS ${t.runs} (
  run_id           TEXT COLLATE "C" PRIMARY KEY,
  status           TEXT NOT NULL CHECK (status IN (${STATUS_LIST})),
  owner            TEXT COLLATE "C",
  lease_expires_at BIGINT NOT NULL,
  attempt          INTEGER NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  error            TEXT,
  version          BIGINT NOT NULL DEFAULT 0
)`,
  widenStatusCheck(t),
  `CREATE TABLE IF NOT EXISTS ${t.steps} (
  run_id   TEXT COLLATE "C" NOT NULL REFERENCES ${t.runs} (run_id) ON DELETE CASCADE,
  step_key TEXT COLLATE "C" NOT NULL,
  name     TEXT NOT NULL,
  seq      BIGINT NOT NULL,
  output   TEXT NOT NULL,
  at       BIGINT NOT NULL,
  PRIMARY KEY (run_id, step_key)
)`,
  `CREATE TABLE IF NOT EXISTS ${t.cleanups} (
  run_id     TEXT COLLATE "C" NOT NULL REFERENCES ${t.runs} (run_id) ON DELETE CASCADE,
  cleanup_id BIGINT NOT NULL,
  name       TEXT NOT NULL,
  seq        BIGINT NOT NULL,
  params     TEXT NOT NULL,
  at         BIGINT NOT NULL,
  PRIMARY KEY (run_id, cleanup_id)
)`,
  // list (any statuses) and purge with several statuses walk runs in (updated_at, run_id) order.
  `CREATE INDEX IF NOT EXISTS ${t.index('runs_by_age')} ON ${t.runs} (updated_at, run_id)`,
  // list / purge of one status (completed runs older than a cutoff) without touching the others.
  `CREATE INDEX IF NOT EXISTS ${t.index('runs_by_status')} ON ${t.runs} (status, updated_at, run_id)`,
  // Abandoned runs (running, lease expired) are few among a million finished ones: a small
  // partial index finds them without scanning finished runs.
  `CREATE INDEX IF NOT EXISTS ${t.index('runs_running_by_age')} ON ${t.runs} (updated_at, run_id) INCLUDE (lease_expires_at) WHERE status = 'running'`,
  // The same for suspended runs that are due (their lease is their wake time): sleeping runs may
  // be many, the index keeps them apart from the finished ones.
  `CREATE INDEX IF NOT EXISTS ${t.index('runs_parked_by_age')} ON ${t.runs} (updated_at, run_id) INCLUDE (lease_expires_at) WHERE status = 'suspended'`,
];

/** The DDL as a script (statements separated by `;`), e.g. for `schema.sql`. */
export const schemaSql = (options: TableOptions = {}): string =>
  `${schemaStatements(tableNames(options))
    .map((s) => `${s};`)
    .join('\n\n')}\n`;

/**
 * Creates the schema, tables and indexes if missing. Idempotent, and safe to call from many
 * processes at once: it is ONE statement (a DO block, so one transaction) that first takes a
 * transaction-scoped advisory lock, because concurrent `CREATE ... IF NOT EXISTS` can otherwise
 * fail with a duplicate-key error on the catalog.
 */
export const migrate = async (execute: Execute, options: TableOptions = {}): Promise<void> => {
  const t = tableNames(options);
  // The lock key is text we built from validated identifiers; quote it as a dollar-quoted literal anyway.
  const [createSchema, ...tables] = schemaStatements(t);
  const body = [
    `PERFORM pg_advisory_xact_lock(hashtext($key$${t.lockKey}$key$))`,
    // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege on the database even when the
    // schema exists (`public` always does): a role without it could never migrate.
    `IF to_regnamespace($schema$${t.schema}$schema$) IS NULL THEN ${createSchema}; END IF`,
    ...tables,
  ]
    .map((s) => `  ${s};`)
    .join('\n');
  await execute(`DO $migrate$\nBEGIN\n${body}\nEND\n$migrate$`, []);
};
