import type { SqliteDriver } from './driver.ts';
import { useWal } from './wal.ts';

/**
 * busy_timeout 0: the adapter waits for other processes' locks itself, fairly (see busy.ts).
 * WAL lets readers run beside the one writer and makes a commit one append to the log; the file
 * remembers it (see wal.ts). `synchronous` is per connection.
 * Throws SQLITE_BUSY when another process holds a lock: the caller retries all of it.
 */
export const configure = (driver: SqliteDriver, setup: { readonly synchronous: 'full' | 'normal' }): void => {
  driver.exec('PRAGMA busy_timeout = 0');
  useWal(driver);
  driver.exec(`PRAGMA synchronous = ${setup.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
};
