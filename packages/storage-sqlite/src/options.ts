export interface SqliteStorageOptions {
  /**
   * Prepended to every table and index name, so several apps (or test suites) can share one
   * database file. An identifier: `^[A-Za-z_][A-Za-z0-9_]{0,40}$`. Default `dx_`.
   */
  readonly tablePrefix?: string;
  /**
   * How long a write waits for another process's write lock before failing, in ms (SQLite
   * `busy_timeout`). The wait blocks this process's event loop, as every better-sqlite3 call does.
   * Default 5000.
   */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite `synchronous` for this connection. `full` (default) fsyncs the WAL on every commit, so
   * a recorded step or a registered cleanup survives a power loss, not just a process crash.
   * `normal` is faster and still safe against process crashes (the better-sqlite3 default in WAL).
   */
  readonly synchronous?: 'full' | 'normal';
}

export const DEFAULT_TABLE_PREFIX = 'dx_';
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/;

/**
 * The prefix is the only text ever placed inside SQL, so it must be a plain identifier: anything
 * else is refused before a statement is built.
 */
export const checkTablePrefix = (prefix: string): string => {
  if (typeof prefix !== 'string' || !IDENTIFIER.test(prefix)) {
    throw new TypeError(
      `durable-x-sqlite: tablePrefix must match ${IDENTIFIER.source}, got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
};

export const checkBusyTimeout = (ms: number): number => {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new TypeError(`durable-x-sqlite: busyTimeoutMs must be a non-negative integer, got ${ms}`);
  }
  return ms;
};
