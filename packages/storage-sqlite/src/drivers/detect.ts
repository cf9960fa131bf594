import { isSqliteDriver, type SqliteDriver } from '../driver.ts';
import { type BetterSqlite3Database, betterSqlite3Driver } from './better-sqlite3.ts';
import { type BunSqliteDatabase, bunSqliteDriver } from './bun-sqlite.ts';
import { type NodeSqliteDatabase, nodeSqliteDriver } from './node-sqlite.ts';

/** Every connection `sqliteStorage` takes as it is, or a driver of your own. */
export type SqliteConnection = BetterSqlite3Database | NodeSqliteDatabase | BunSqliteDatabase | SqliteDriver;

const has = (value: object, method: string): boolean =>
  typeof (value as Record<string, unknown>)[method] === 'function';

/**
 * The driver for a connection, told apart by what only each binding has: better-sqlite3 a
 * `pragma` method, bun:sqlite a `query` method, node:sqlite's class is `DatabaseSync`. A
 * `SqliteDriver` is used as it is. Anything else is a TypeError, before any I/O.
 */
export const sqliteDriver = (connection: SqliteConnection): SqliteDriver => {
  if (isSqliteDriver(connection)) return connection;
  if (typeof connection === 'object' && connection !== null && has(connection, 'prepare')) {
    if (has(connection, 'pragma')) return betterSqlite3Driver(connection as BetterSqlite3Database);
    if (has(connection, 'query')) return bunSqliteDriver(connection as BunSqliteDatabase);
    if (connection.constructor?.name === 'DatabaseSync') {
      return nodeSqliteDriver(connection as NodeSqliteDatabase);
    }
  }
  throw new TypeError(
    'durable-x-sqlite: expected a better-sqlite3 Database, a node:sqlite DatabaseSync, a bun:sqlite Database or a SqliteDriver',
  );
};
