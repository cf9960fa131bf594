import { Busy } from './busy.ts';
import type { SqliteDriver } from './driver.ts';
import { prepare } from './prepared.ts';

/** An in-memory or temporary database has no file: no other process can share it, and no WAL. */
const hasFile = (driver: SqliteDriver): boolean =>
  prepare<[], { file: string }>(driver, "SELECT file FROM pragma_database_list WHERE name = 'main'").get()
    ?.file !== '';

const journalMode = (driver: SqliteDriver, sql: string): unknown =>
  prepare<[], { journal_mode: unknown }>(driver, sql).get()?.journal_mode;

/**
 * Puts the file in WAL mode; a file already in WAL costs one query (the file remembers the mode,
 * so only the first processes on a new file ever switch it). Switching needs a moment of
 * exclusive lock: while another connection holds the write lock, SQLite answers SQLITE_BUSY at
 * once, without waiting (a connection that already reads must not wait for a writer that may be
 * waiting for it), or answers the old journal mode instead of `wal`. Both throw a busy error, for
 * the caller's retry (see busy.ts): that is what processes starting together on a new file meet.
 */
export const useWal = (driver: SqliteDriver): void => {
  if (!hasFile(driver) || journalMode(driver, 'PRAGMA journal_mode') === 'wal') return;
  const mode = journalMode(driver, 'PRAGMA journal_mode = WAL');
  if (mode !== 'wal')
    throw new Busy(`durable-x-sqlite: the journal mode stayed ${String(mode)} instead of wal`);
};
