import type { Database } from 'better-sqlite3';
import { DEFAULT_TABLE_PREFIX } from './options.ts';
import { isOldRunsTable, rebuildOldRunsTable, withoutForeignKeys } from './rebuild-runs.ts';
import { schemaStatements, tableNames } from './schema.ts';

/**
 * Creates the tables and indexes if they are missing, in one IMMEDIATE transaction, so processes
 * starting together on a new file serialise here instead of failing. Idempotent.
 * A runs table created by version 0.1 (whose CHECK knows fewer statuses) is rebuilt first, in the
 * same transaction, keeping every row (see rebuild-runs.ts).
 * It also puts the file in WAL mode (the file remembers it), so that processes later starting on
 * a migrated file all at once never contend to switch its journal mode.
 */
export const migrate = (db: Database, options: { readonly tablePrefix?: string } = {}): void => {
  db.pragma('journal_mode = WAL');
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const { runs } = tableNames(prefix);
  const statements = schemaStatements(prefix);
  const apply = () =>
    db
      .transaction(() => {
        rebuildOldRunsTable(db, runs);
        for (const sql of statements) db.exec(sql);
      })
      .immediate();
  // Foreign keys can only be switched off outside a transaction, so the rebuild is foreseen here
  // (and decided again inside the write lock).
  if (isOldRunsTable(db, runs)) withoutForeignKeys(db, apply);
  else apply();
};
