import type { SqliteDriver } from './driver.ts';
import { prepare } from './prepared.ts';

/** How a transaction starts: IMMEDIATE takes the write lock at once (see storage.ts); DEFERRED reads. */
export type TransactionMode = 'IMMEDIATE' | 'DEFERRED';

export type InTransaction = <R>(mode: TransactionMode, body: () => R) => R;

/**
 * Runs `body` in one transaction of the given mode: COMMIT when it returns, ROLLBACK when it
 * throws. A transaction that failed (SQLITE_BUSY at BEGIN or COMMIT…) committed nothing, so the
 * caller may run it again. Do not call the storage inside a transaction of your own on the same
 * connection: BEGIN refuses to nest.
 */
export const transactions = (driver: SqliteDriver): InTransaction => {
  const begin = {
    IMMEDIATE: prepare(driver, 'BEGIN IMMEDIATE'),
    DEFERRED: prepare(driver, 'BEGIN DEFERRED'),
  };
  const commit = prepare(driver, 'COMMIT');
  const rollback = prepare(driver, 'ROLLBACK');
  return (mode, body) => {
    begin[mode].run();
    try {
      const result = body();
      commit.run();
      return result;
    } catch (error) {
      rollbackAfter(rollback.run);
      throw error;
    }
  };
};

/**
 * SQLite rolls some failed transactions back by itself (and a failed BEGIN opened none): then
 * ROLLBACK answers "no transaction is active", which is not the error to report.
 */
const rollbackAfter = (rollback: () => unknown): void => {
  try {
    rollback();
  } catch {
    // The caller rethrows the error that made it roll back.
  }
};
