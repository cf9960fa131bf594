/*
 * Waiting for another process's lock. SQLite's own busy handler (busy_timeout) sleeps longer and
 * longer between tries (1, 2, 5 … then 100 ms), so a process that has waited a while checks the
 * lock ten times a second while newcomers check every millisecond: under a steady stream of
 * writes from other processes it can wait past any timeout (4 to 16 processes writing back to
 * back on one file: calls waited 5.2 s and failed). The adapter therefore turns SQLite's handler
 * off (busy_timeout 0) and retries the whole transaction itself, every few milliseconds at most,
 * with jitter, until `busyTimeoutMs` has passed: every waiter keeps the same chance at each
 * release of the lock (no call failed then; the README gives the figures).
 * Retrying a transaction is safe: one that failed with SQLITE_BUSY committed nothing (the
 * driver rolled it back), so the retry is simply the call made again.
 */

/** The longest pause between two tries, in ms: short, so that no waiter falls behind. */
const MAX_PAUSE_MS = 4;

/** True for SQLite's "database is locked" (SQLITE_BUSY and its extended codes), from any driver. */
export const isBusy = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) ||
    (typeof errcode === 'number' && (errcode & 0xff) === 5) ||
    (typeof message === 'string' && message.includes('database is locked'))
  );
};

/** A refusal the adapter decides on its own but that means the same: try again shortly. */
export class Busy extends Error {
  readonly code = 'SQLITE_BUSY';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the thread for `ms`, as SQLite's busy handler would: every call of a synchronous SQLite
 * driver blocks its thread while it waits for a lock.
 */
const pause = (ms: number): void => {
  Atomics.wait(sleeper, 0, 0, ms);
};

/**
 * Runs `attempt`; while it throws SQLITE_BUSY, runs it again after a short random pause (growing
 * from 0.25 ms to {@link MAX_PAUSE_MS}), for up to `waitMs`; then rethrows the last refusal.
 */
export const whileBusy = <T>(waitMs: number, attempt: () => T): T => {
  const deadline = performance.now() + waitMs;
  for (let backoff = 0.25; ; backoff = Math.min(backoff * 2, MAX_PAUSE_MS)) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error) || performance.now() >= deadline) throw error;
    }
    pause(Math.random() * backoff);
  }
};
