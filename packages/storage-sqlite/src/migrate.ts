import type { Database } from 'better-sqlite3';
import { DEFAULT_TABLE_PREFIX } from './options.ts';
import { schemaStatements } from './schema.ts';

/**
 * Creates the tables and indexes if they are missing, in one IMMEDIATE transaction, so processes
 * starting together on a new file serialise here instead of failing. Idempotent.
 * It also puts the file in WAL mode (the file remembers it), so that processes later starting on
 * a migrated file all at once never contend to switch its journal mode.
 */
export const migrate = (db: Database, options: { readonly tablePrefix?: string } = {}): void => {
  db.pragma('journal_mode = WAL');
  const statements = schemaStatements(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  db.transaction(() => {
    for (const sql of statements) db.exec(sql);
  }).immediate();
};
