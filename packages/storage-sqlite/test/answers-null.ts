import type { SqliteDriver } from '../src/index.ts';

/** A driver that answers `null` for no row, as bun:sqlite does, over any other driver. */
export const answeringNull = (driver: SqliteDriver): SqliteDriver => ({
  driver: `${driver.driver}, answering null`,
  prepare(sql) {
    const statement = driver.prepare(sql);
    return { ...statement, get: (params) => statement.get(params) ?? null };
  },
  exec: (sql) => driver.exec(sql),
});

/** A driver that reads every integer as a `bigint`, as node:sqlite and bun:sqlite can be told to. */
export const readingBigInts = (driver: SqliteDriver): SqliteDriver => {
  const big = (row: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v]),
    );
  return {
    driver: `${driver.driver}, reading bigints`,
    prepare(sql) {
      const statement = driver.prepare(sql);
      return {
        run: (params) => BigInt(statement.run(params)),
        get: (params) => {
          const row = statement.get(params);
          return row ? big(row) : row;
        },
        all: (params) => statement.all(params).map(big),
      };
    },
    exec: (sql) => driver.exec(sql),
  };
};
