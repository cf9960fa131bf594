import type { SqliteDriver, SqliteRow } from '../driver.ts';

/** The part of a `bun:sqlite` `Database` the adapter uses. */
export interface BunSqliteDatabase {
  prepare(sql: string): {
    run(...params: unknown[]): { readonly changes: number };
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
  query(sql: string): unknown;
  exec(sql: string): unknown;
}

/**
 * `bun:sqlite` (Bun). Its `get` answers null for no row (the adapter accepts both), and it reads
 * integers as numbers unless the database was opened with `safeIntegers: true` (then the adapter
 * converts them).
 */
export const bunSqliteDriver = (db: BunSqliteDatabase): SqliteDriver => ({
  driver: 'bun:sqlite',
  prepare(sql) {
    const statement = db.prepare(sql);
    return {
      run: (params) => statement.run(...params).changes,
      get: (params) => statement.get(...params) as SqliteRow | null,
      all: (params) => statement.all(...params) as SqliteRow[],
    };
  },
  exec: (sql) => void db.exec(sql),
});
