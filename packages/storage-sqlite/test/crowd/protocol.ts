/**
 * What the crowd parent (crowd.ts) and its children (child.ts) say to each other: the parent
 * sends one task per line on stdin; a child runs it on a connection of its own and prints one
 * result line. A child serves many tasks, so that a test pays the process start-up once.
 */

export interface CrowdTask {
  /** The database file, fresh or not. */
  readonly file: string;
  /** How many runs this child creates, one after the other. */
  readonly runs: number;
  /** Steps per run. */
  readonly steps: number;
  /** Makes this child's run ids unique in the file. */
  readonly tag: string;
  /** The storage's `synchronous` option (default `full`). */
  readonly synchronous?: 'full' | 'normal';
}

export interface CrowdResult {
  /** Calls that completed (claims, steps and finishes). */
  readonly claims: number;
  readonly steps: number;
  readonly finishes: number;
  /** The message of every call that rejected, or answered other than expected. */
  readonly failures: readonly string[];
  /** The duration of every call, in ms. */
  readonly latencies: readonly number[];
}

export const READY = 'DX_CROWD_READY';
export const RESULT = 'DX_CROWD_RESULT ';
