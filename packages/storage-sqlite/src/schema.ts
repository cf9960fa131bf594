import { RUN_STATUSES } from '@td7x/durable-x';
import { checkTablePrefix, DEFAULT_TABLE_PREFIX } from './options.ts';

/**
 * THE schema, the single source of truth: `src/schema.sql` is generated from it
 * (`pnpm run schema`) and a test fails when the two differ.
 *
 * Numbers are INTEGER epoch milliseconds; ids, keys, names and encoded values are TEXT, always
 * bound as parameters. STRICT tables make SQLite refuse a value of the wrong type instead of
 * silently converting it, so an output is stored byte for byte.
 */
export interface TableNames {
  readonly runs: string;
  readonly steps: string;
  readonly cleanups: string;
}

export const tableNames = (prefix: string = DEFAULT_TABLE_PREFIX): TableNames => {
  const p = checkTablePrefix(prefix);
  return { runs: `${p}runs`, steps: `${p}steps`, cleanups: `${p}cleanups` };
};

const STATUSES = RUN_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * One row per run; the status CHECKs list every status of the contract. `claimed_from` is the
 * status the current owner's claim answered as `previousStatus` (NULL for a claim that created the
 * run, and once the owner is cleared), so that a resent claim answers the same.
 */
const runsTableSql = (name: string): string =>
  `CREATE TABLE IF NOT EXISTS "${name}" (
  run_id           TEXT    NOT NULL PRIMARY KEY,
  status           TEXT    NOT NULL CHECK (status IN (${STATUSES})),
  owner            TEXT,
  lease_expires_at INTEGER NOT NULL,
  attempt          INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  error            TEXT,
  claimed_from     TEXT    CHECK (claimed_from IN (${STATUSES}))
) STRICT`;

export type IndexNames = ReturnType<typeof indexNames>;

/** The indexes' names under `prefix`. */
export const indexNames = (prefix: string = DEFAULT_TABLE_PREFIX) => ({
  byStatusAge: `${prefix}runs_by_status_age`,
  byLease: `${prefix}runs_by_lease`,
  byAge: `${prefix}runs_by_age`,
});

/** The name of every table and index the schema creates, to tell whether it is all there. */
export const schemaObjects = (prefix: string = DEFAULT_TABLE_PREFIX): readonly string[] => [
  ...Object.values(tableNames(prefix)),
  ...Object.values(indexNames(prefix)),
];

/** The DDL, one statement per entry; every statement is idempotent (`IF NOT EXISTS`). */
export const schemaStatements = (prefix: string = DEFAULT_TABLE_PREFIX): readonly string[] => {
  const t = tableNames(prefix);
  const i = indexNames(prefix);
  return [
    runsTableSql(t.runs),
    // list and purge: by status, oldest first, paged on (updated_at, run_id)
    `CREATE INDEX IF NOT EXISTS "${i.byStatusAge}" ON "${t.runs}" (status, updated_at, run_id)`,
    // findAbandoned (running runs whose lease has expired) and due suspended runs (wake time passed)
    `CREATE INDEX IF NOT EXISTS "${i.byLease}" ON "${t.runs}" (status, lease_expires_at)`,
    // list of every status: oldest first, paged on (updated_at, run_id), a page reads what it returns
    `CREATE INDEX IF NOT EXISTS "${i.byAge}" ON "${t.runs}" (updated_at, run_id)`,
    `CREATE TABLE IF NOT EXISTS "${t.steps}" (
  run_id      TEXT    NOT NULL,
  step_key    TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  output      TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_key)
) STRICT`,
    `CREATE TABLE IF NOT EXISTS "${t.cleanups}" (
  run_id        TEXT    NOT NULL,
  cleanup_id    INTEGER NOT NULL,
  name          TEXT    NOT NULL,
  seq           INTEGER NOT NULL,
  params        TEXT    NOT NULL,
  registered_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, cleanup_id)
) STRICT`,
  ];
};

/** The schema as a readable SQL script (what `src/schema.sql` holds for the default prefix). */
export const schemaSql = (prefix: string = DEFAULT_TABLE_PREFIX): string =>
  [
    '-- durable-x SQLite schema (generated from src/schema.ts by `pnpm run schema`; do not edit).',
    `-- Table prefix: ${prefix}. Apply with migrate(db) or let sqliteStorage(db) create it on first use.`,
    '',
    schemaStatements(prefix).join(';\n\n') + ';',
    '',
  ].join('\n');
