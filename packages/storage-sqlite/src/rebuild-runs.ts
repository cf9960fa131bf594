import type { Database } from 'better-sqlite3';
import { RUN_STATUSES, RUNS_COLUMNS, runsTableSql } from './schema.ts';

/*
 * Version 0.1 created the runs table with CHECK (status IN ('running', 'completed',
 * 'failed', 'compensated')). SQLite cannot alter a CHECK constraint, so such a table is rebuilt
 * following SQLite's own procedure for any other table change
 * (https://www.sqlite.org/lang_altertable.html#otheralter): new table, copy every row, drop,
 * rename, recreate the indexes and triggers. Steps 1 and 12 (foreign keys off, then back on) must
 * happen outside a transaction: `withoutForeignKeys`. Steps 2 to 11: `rebuildOldRunsTable`.
 */

// The status list of the table's CHECK constraint, as SQLite keeps it in sqlite_master.
const STATUS_CHECK = /CHECK\s*\(\s*status\s+IN\s*\(([^)]*)\)\s*\)/i;

const tableSql = (db: Database, table: string): string | undefined =>
  db
    .prepare<[string], string>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
    .pluck()
    .get(table);

/**
 * True when `table` exists and its status CHECK lacks a status of the contract. A table without
 * such a CHECK (not one this adapter created) is left alone: a rebuild could lose its columns.
 */
export const isOldRunsTable = (db: Database, table: string): boolean => {
  const allowed = tableSql(db, table)?.match(STATUS_CHECK)?.[1];
  return allowed !== undefined && RUN_STATUSES.some((status) => !allowed.includes(`'${status}'`));
};

/**
 * Steps 2 to 11, inside the caller's transaction, which makes the rebuild all or nothing. Checks
 * again, inside the write lock, so that a process that waited for another one's migration does not
 * rebuild a second time.
 */
export const rebuildOldRunsTable = (db: Database, table: string): void => {
  if (!isOldRunsTable(db, table)) return;
  // Step 3: the table's own indexes and triggers (including any a user added), to recreate after.
  // Automatic indexes (the primary key's) have no SQL and come back with the table.
  const dependents = db
    .prepare<[string], string>(
      "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .pluck()
    .all(table);
  const rebuilt = `${table}_rebuild`;
  const columns = RUNS_COLUMNS.join(', ');
  db.exec(runsTableSql(rebuilt, false)); // step 4
  db.exec(`INSERT INTO "${rebuilt}" (${columns}) SELECT ${columns} FROM "${table}"`); // step 5
  db.exec(`DROP TABLE "${table}"`); // step 6
  renameKeepingReferences(db, rebuilt, table); // step 7
  for (const sql of dependents) db.exec(sql); // step 8 (step 9: no view depends on a CHECK)
  // Step 10: the copy must not have broken a reference from another table to this one.
  const broken = db.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) {
    throw new Error(`durable-x-sqlite: rebuilding "${table}" broke ${broken.length} foreign key(s)`);
  }
}; // step 11: the caller commits

/**
 * Since SQLite 3.26 a rename rewrites the views and triggers that name the table, and refuses to
 * run when one of them names a table that is missing: any view or trigger on the old table (just
 * dropped) would make it fail. In legacy mode the rename leaves them as they are, which is what
 * the procedure wants: they name the old table, and the renamed one now has that name.
 */
const renameKeepingReferences = (db: Database, from: string, to: string): void => {
  const legacy = db.pragma('legacy_alter_table', { simple: true }) === 1;
  if (!legacy) db.pragma('legacy_alter_table = ON');
  try {
    db.exec(`ALTER TABLE "${from}" RENAME TO "${to}"`);
  } finally {
    if (!legacy) db.pragma('legacy_alter_table = OFF');
  }
};

/**
 * Steps 1 and 12: foreign key enforcement off for `change`, then back as it was. The pragma is a
 * no-op inside a transaction, hence here, around it. better-sqlite3 turns enforcement on by default,
 * and with it on, dropping the old table would check (or cascade to) rows of tables referencing it.
 */
export const withoutForeignKeys = <T>(db: Database, change: () => T): T => {
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
  if (enforced) db.pragma('foreign_keys = OFF');
  try {
    return change();
  } finally {
    if (enforced) db.pragma('foreign_keys = ON');
  }
};
