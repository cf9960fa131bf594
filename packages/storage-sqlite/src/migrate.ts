import { whileBusy } from './busy.ts';
import type { SqliteDriver } from './driver.ts';
import { type SqliteConnection, sqliteDriver } from './drivers/detect.ts';
import {
  checkBusyTimeout,
  checkTablePrefix,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_TABLE_PREFIX,
} from './options.ts';
import { prepare } from './prepared.ts';
import { schemaObjects, schemaStatements } from './schema.ts';
import { transactions } from './transaction.ts';
import { useWal } from './wal.ts';

/** True when every table and index of the schema exists: then no write lock is taken at all. */
const schemaComplete = (driver: SqliteDriver, prefix: string): boolean => {
  const names = schemaObjects(prefix);
  const found = prepare<string[], { count: number }>(
    driver,
    `SELECT count(*) AS count FROM sqlite_master WHERE type IN ('table', 'index') AND name IN (${names.map(() => '?').join(', ')})`,
  ).get(...names);
  return found?.count === names.length;
};

/**
 * Creates the tables and indexes that are missing, in one IMMEDIATE transaction: of processes
 * starting together on a new file, one creates them and the others, retrying while it holds the
 * write lock (see busy.ts), find everything there (every statement is `IF NOT EXISTS`). A file
 * whose schema is complete costs one read and no write lock.
 */
export const createSchema = (driver: SqliteDriver, prefix: string): void => {
  if (schemaComplete(driver, prefix)) return;
  transactions(driver)('IMMEDIATE', () => {
    for (const sql of schemaStatements(prefix)) driver.exec(sql);
  });
};

/**
 * Prepares a file ahead of time, as the first storage call does: sets the connection's
 * busy_timeout to 0 (the adapter waits for other processes' locks itself, up to `busyTimeoutMs`,
 * default 5000: see busy.ts), puts the file in WAL mode (the file remembers it, so processes later
 * starting together never contend to switch it) and creates the schema if missing. Idempotent;
 * safe to run from several processes at once.
 */
export const migrate = (
  connection: SqliteConnection,
  options: { readonly tablePrefix?: string; readonly busyTimeoutMs?: number } = {},
): void => {
  const driver = sqliteDriver(connection);
  const prefix = checkTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  whileBusy(checkBusyTimeout(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS), () => {
    driver.exec('PRAGMA busy_timeout = 0');
    useWal(driver);
    createSchema(driver, prefix);
  });
};
