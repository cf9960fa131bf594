import type { SqliteDriver, SqliteRow } from '../driver.ts';

/** The part of a better-sqlite3 `Database` the adapter uses (not imported: an optional peer). */
export interface BetterSqlite3Database {
  prepare(sql: string): {
    run(...params: unknown[]): { readonly changes: number };
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    safeIntegers(toggle?: boolean): unknown;
  };
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** better-sqlite3 (Node). Integers are read as numbers even if the connection defaults to BigInt. */
export const betterSqlite3Driver = (db: BetterSqlite3Database): SqliteDriver => ({
  driver: 'better-sqlite3',
  prepare(sql) {
    const statement = db.prepare(sql);
    statement.safeIntegers(false);
    return {
      run: (params) => statement.run(...params).changes,
      get: (params) => statement.get(...params) as SqliteRow | undefined,
      all: (params) => statement.all(...params) as SqliteRow[],
    };
  },
  exec: (sql) => void db.exec(sql),
});
