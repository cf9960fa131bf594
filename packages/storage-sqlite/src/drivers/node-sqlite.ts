import type { SqliteDriver, SqliteRow } from '../driver.ts';

/** The part of a `node:sqlite` `DatabaseSync` the adapter uses (Node ≥ 22.5, Deno). */
export interface NodeSqliteDatabase {
  prepare(sql: string): {
    run(...params: unknown[]): { readonly changes: number | bigint };
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    setReadBigInts?(enabled: boolean): void;
  };
  exec(sql: string): void;
}

/** `node:sqlite`'s `DatabaseSync` (Node ≥ 22.5, Deno): integers read as numbers. */
export const nodeSqliteDriver = (db: NodeSqliteDatabase): SqliteDriver => ({
  driver: 'node:sqlite',
  prepare(sql) {
    const statement = db.prepare(sql);
    statement.setReadBigInts?.(false);
    return {
      run: (params) => statement.run(...params).changes,
      get: (params) => statement.get(...params) as SqliteRow | undefined,
      all: (params) => statement.all(...params) as SqliteRow[],
    };
  },
  exec: (sql) => db.exec(sql),
});
