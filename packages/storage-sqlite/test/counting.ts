import type { Database } from 'better-sqlite3';

/**
 * Wraps a better-sqlite3 connection and counts what the adapter runs through it, for the
 * testkit's `roundTrips()`. SQLite is in-process, so there is no network round trip: what is
 * counted is each transaction the adapter runs (`db.transaction(fn)` invocations, one per contract
 * method, i.e. one BEGIN…COMMIT and at most one WAL fsync) and, separately, each statement executed
 * (`run`/`get`/`all`/`iterate`/`exec`/`pragma`), which includes the one-time pragmas and DDL.
 */
export interface Counts {
  transactions: number;
  statements: number;
}

export const countingDatabase = (db: Database): { db: Database; counts: Counts } => {
  const counts: Counts = { transactions: 0, statements: 0 };
  const countCall =
    <A extends unknown[], R>(fn: (...args: A) => R, field: keyof Counts) =>
    (...args: A): R => {
      counts[field]++;
      return fn(...args);
    };
  const countStatement = (statement: object): object =>
    new Proxy(statement, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        const bound = (value as (...a: unknown[]) => unknown).bind(target);
        if (['run', 'get', 'all', 'iterate'].includes(String(property)))
          return countCall(bound, 'statements');
        // safeIntegers(), pluck()… return the statement itself: keep it wrapped.
        return (...args: unknown[]) => {
          const result = bound(...args);
          return result === target ? countStatement(target) : result;
        };
      },
    });
  const countTransaction = (tx: (...a: unknown[]) => unknown) => {
    const counted = countCall(tx, 'transactions') as typeof tx & Record<string, unknown>;
    for (const mode of ['deferred', 'immediate', 'exclusive'] as const) {
      counted[mode] = countCall(
        (tx as unknown as Record<string, (...a: unknown[]) => unknown>)[mode]!,
        'transactions',
      );
    }
    return counted;
  };
  const proxy = new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      switch (property) {
        case 'prepare':
          return (...args: unknown[]) => countStatement(bound(...args) as object);
        case 'transaction':
          return (fn: unknown) => countTransaction(bound(fn) as (...a: unknown[]) => unknown);
        case 'exec':
        case 'pragma':
          return countCall(bound, 'statements');
        default:
          return bound;
      }
    },
  });
  return { db: proxy, counts };
};
