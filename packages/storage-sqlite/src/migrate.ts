import type { Database } from 'better-sqlite3';
import { DEFAULT_TABLE_PREFIX } from './options.ts';
import { schemaStatements } from './schema.ts';

/**
 * Creates the tables and indexes if they are missing, in one IMMEDIATE transaction, so processes
 * starting together on a new file serialise here instead of failing. Idempotent.
 */
export const migrate = (db: Database, options: { readonly tablePrefix?: string } = {}): void => {
  const statements = schemaStatements(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  db.transaction(() => {
    for (const sql of statements) db.exec(sql);
  }).immediate();
};
