import type { SqliteDriver } from '../src/index.ts';

/**
 * Wraps a driver and counts what the adapter runs through it, for the testkit's `roundTrips()`.
 * SQLite is in-process, so there is no network round trip: what is counted is each transaction
 * (each BEGIN: one per contract method, at most one WAL fsync) and, separately, each statement
 * run (`run`/`get`/`all`/`exec`, BEGIN and COMMIT included), which includes the one-time pragmas
 * and DDL.
 */
export interface Counts {
  transactions: number;
  statements: number;
}

export const countingDriver = (driver: SqliteDriver): { driver: SqliteDriver; counts: Counts } => {
  const counts: Counts = { transactions: 0, statements: 0 };
  /** Counts one run of `sql`, then runs it. */
  const counted = <R>(sql: string, run: () => R): R => {
    counts.statements++;
    if (/^\s*BEGIN\b/i.test(sql)) counts.transactions++;
    return run();
  };
  return {
    counts,
    driver: {
      driver: `counting ${driver.driver}`,
      prepare(sql) {
        const statement = driver.prepare(sql);
        return {
          run: (params) => counted(sql, () => statement.run(params)),
          get: (params) => counted(sql, () => statement.get(params)),
          all: (params) => counted(sql, () => statement.all(params)),
        };
      },
      exec: (sql) => counted(sql, () => driver.exec(sql)),
    },
  };
};
