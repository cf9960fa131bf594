import type { Database } from 'better-sqlite3';
import { Busy } from './busy.ts';

/** An in-memory or temporary database has no file: no other process can share it, and no WAL. */
const hasFile = (db: Database): boolean =>
  db.prepare<[], string>("SELECT file FROM pragma_database_list WHERE name = 'main'").pluck().get() !== '';

/**
 * Puts the file in WAL mode; a file already in WAL costs one query (the file remembers the mode,
 * so only the first processes on a new file ever switch it). Switching needs a moment of
 * exclusive lock: while another connection holds the write lock, SQLite answers SQLITE_BUSY at
 * once, without waiting (a connection that already reads must not wait for a writer that may be
 * waiting for it), or answers the old journal mode instead of `wal`. Both throw a busy error, for
 * the caller's retry (see busy.ts): that is what processes starting together on a new file meet.
 */
export const useWal = (db: Database): void => {
  if (!hasFile(db) || db.pragma('journal_mode', { simple: true }) === 'wal') return;
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal')
    throw new Busy(`durable-x-sqlite: the journal mode stayed ${String(mode)} instead of wal`);
};
