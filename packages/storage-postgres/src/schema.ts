import type { Execute } from './execute.ts';
import { type TableNames, type TableOptions, tableNames } from './names.ts';
import { claimFunctionSql } from './statements/claim.ts';
import { RUN_STATUSES } from './statuses.ts';

const STATUS_LIST = RUN_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * The tables, as idempotent DDL. `schema.sql` in this package is this text for the default names
 * (a test keeps them equal), for people who run their own migrations.
 *
 * - Times are BIGINT epoch milliseconds from the core's clock; the database clock is never read.
 * - Ids, keys and names are TEXT COLLATE "C": byte order, so `list` pages the same way on every
 *   server whatever its locale, and comparisons are cheap.
 * - `claimed_from` is the status the run had when its current owner claimed it (NULL when that
 *   claim created it): a resent claim answers it again. Cleared with the owner.
 * - `signals` counts the signal records putSignal wrote (steps with `seq` 0 that nothing but a
 *   purge removes; the run's own timeout records, also `seq` 0, come from its owner's putStep and
 *   are not counted): putSignal's `maxSignals` reads it, and suspend compares it with its snapshot
 *   to learn that a signal arrived meanwhile (statements/suspend.ts).
 * - Steps and cleanups have no foreign key to their run: every write of them is fenced by a lock
 *   on the run's row already (statements/writes.ts), and a foreign key would take that lock a
 *   second time, per row, through a trigger. `purge` deletes a run's records with it; a claim that
 *   creates a run first deletes any record a racing write left under its id (statements/claim.ts).
 * - `claim` is a function (statements/claim.ts): its reads come after its row lock.
 */
export const schemaStatements = (t: TableNames): readonly string[] => [
  `CREATE SCHEMA IF NOT EXISTS ${t.schema}`,
  `CREATE TABLE IF NOT EXISTS ${t.runs} (
  run_id           TEXT COLLATE "C" PRIMARY KEY,
  status           TEXT NOT NULL CHECK (status IN (${STATUS_LIST})),
  owner            TEXT COLLATE "C",
  claimed_from     TEXT CHECK (claimed_from IN (${STATUS_LIST})),
  lease_expires_at BIGINT NOT NULL,
  attempt          INTEGER NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  error            TEXT,
  signals          INTEGER NOT NULL DEFAULT 0
)`,
  `CREATE TABLE IF NOT EXISTS ${t.steps} (
  run_id   TEXT COLLATE "C" NOT NULL,
  step_key TEXT COLLATE "C" NOT NULL,
  name     TEXT NOT NULL,
  seq      BIGINT NOT NULL,
  output   TEXT NOT NULL,
  at       BIGINT NOT NULL,
  PRIMARY KEY (run_id, step_key)
)`,
  `CREATE TABLE IF NOT EXISTS ${t.cleanups} (
  run_id     TEXT COLLATE "C" NOT NULL,
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
  // The suspended runs by wake time: the few due among many sleeping are found without reading the
  // others (queries.ts, list).
  `CREATE INDEX IF NOT EXISTS ${t.index('runs_parked_by_wake')} ON ${t.runs} (lease_expires_at) WHERE status = 'suspended'`,
  claimFunctionSql(t),
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
