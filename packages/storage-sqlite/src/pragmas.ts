import type { Database } from 'better-sqlite3';

/**
 * busy_timeout first, so that the other pragmas and the DDL that follows already wait for other
 * processes instead of failing at once.
 * WAL lets readers run beside the one writer and makes a commit one append to the log.
 * The pragmas are per connection except journal_mode, which the file remembers.
 */
export const configure = (
  db: Database,
  setup: { readonly busyTimeoutMs: number; readonly synchronous: 'full' | 'normal' },
): void => {
  db.pragma(`busy_timeout = ${setup.busyTimeoutMs}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${setup.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
};
