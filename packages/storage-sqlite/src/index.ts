/**
 * `@td7x/durable-x-sqlite`: durable-x checkpoints in a SQLite file through better-sqlite3.
 * Several processes on one machine may share the file (WAL, IMMEDIATE write transactions).
 */
export { migrate } from './migrate.ts';
export { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_TABLE_PREFIX, type SqliteStorageOptions } from './options.ts';
export { schemaSql, schemaStatements, type TableNames, tableNames } from './schema.ts';
export { SQLITE_MAX_VALUE_BYTES, sqliteStorage } from './storage.ts';
