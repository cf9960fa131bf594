import type { SqliteDriver, SqliteRow, SqliteValue } from './driver.ts';

/**
 * A driver's statement as the adapter uses it, whatever the driver: no row is `undefined` (never
 * null), integers are numbers (every integer the adapter stores, up to `FOREVER`, is exact in a
 * double), and `run` answers the number of rows changed.
 */
export interface Prepared<P extends readonly SqliteValue[], R> {
  run(...params: P): number;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

const withNumbers = (row: SqliteRow): SqliteRow => {
  let converted: Record<string, unknown> | undefined;
  for (const [column, value] of Object.entries(row)) {
    if (typeof value === 'bigint') {
      converted ??= { ...row };
      converted[column] = Number(value);
    }
  }
  return converted ?? row;
};

export const prepare = <P extends readonly SqliteValue[], R = SqliteRow>(
  driver: SqliteDriver,
  sql: string,
): Prepared<P, R> => {
  const statement = driver.prepare(sql);
  return {
    run: (...params) => Number(statement.run(params)),
    get: (...params) => {
      const row = statement.get(params);
      return row ? (withNumbers(row) as R) : undefined;
    },
    all: (...params) => statement.all(params).map((row) => withNumbers(row) as R),
  };
};
