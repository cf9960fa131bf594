/**
 * `@td7x/durable-x-sqlite`: durable-x checkpoints in a SQLite file, through better-sqlite3,
 * `node:sqlite` or `bun:sqlite`. Several processes on one machine may share the file (WAL,
 * IMMEDIATE write transactions, a fair wait for the write lock).
 */
export {
  isSqliteDriver,
  type SqliteDriver,
  type SqliteRow,
  type SqliteStatement,
  type SqliteValue,
} from './driver.ts';
export { type BetterSqlite3Database, betterSqlite3Driver } from './drivers/better-sqlite3.ts';
export { type BunSqliteDatabase, bunSqliteDriver } from './drivers/bun-sqlite.ts';
export { type SqliteConnection, sqliteDriver } from './drivers/detect.ts';
export { type NodeSqliteDatabase, nodeSqliteDriver } from './drivers/node-sqlite.ts';
export { migrate } from './migrate.ts';
export { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_TABLE_PREFIX, type SqliteStorageOptions } from './options.ts';
export { schemaSql, schemaStatements, type TableNames, tableNames } from './schema.ts';
export { SQLITE_MAX_VALUE_BYTES, sqliteStorage } from './storage.ts';
