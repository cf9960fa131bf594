export interface SqliteStorageOptions {
  /**
   * Prepended to every table and index name, so several apps (or test suites) can share one
   * database file. A lowercase identifier: `^[a-z_][a-z0-9_]{0,40}$`. Default `dx_`.
   */
  readonly tablePrefix?: string;
  /**
   * How long a call waits for another process's lock before failing, in ms. The adapter waits
   * itself, retrying every few ms (see busy.ts), and sets SQLite's own `busy_timeout` to 0. The
   * wait blocks this thread's event loop, as every call of a synchronous SQLite driver does.
   * Default 5000.
   */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite `synchronous` for this connection. `full` (default) fsyncs the WAL on every commit, so
   * a recorded step or a registered cleanup survives a power loss, not just a process crash.
   * `normal` is faster and still safe against process crashes (better-sqlite3's default in WAL).
   */
  readonly synchronous?: 'full' | 'normal';
}

export const DEFAULT_TABLE_PREFIX = 'dx_';
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

/**
 * The prefix is the only text ever placed inside SQL, so it must be a plain identifier: anything
 * else is refused before a statement is built. Lowercase only: SQLite compares names without
 * regard to ASCII case (quoted or not), so `App_` and `app_` would name the same tables and two
 * apps would share their runs. With one case, different prefixes always name different tables
 * (every name is the prefix followed by one of a fixed set of suffixes, none the end of another).
 */
export const checkTablePrefix = (prefix: string): string => {
  // `sqlite_` names are reserved: SQLite would refuse the tables at first use instead.
  if (typeof prefix !== 'string' || !IDENTIFIER.test(prefix) || prefix.startsWith('sqlite_')) {
    throw new TypeError(
      `durable-x-sqlite: tablePrefix must match ${IDENTIFIER.source} and not start with sqlite_, got ${JSON.stringify(prefix)}`,
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
