import type { Storage } from '@td7x/durable-x';
import type { SuiteGroup } from './group-names.ts';

/**
 * What an adapter's test gives the suite. Build it on an isolated namespace (a schema, a key
 * prefix, a temp file, a bucket prefix) so suites can share one server.
 */
export interface ConformanceHarness {
  /** The adapter under test. */
  readonly storage: Storage;
  /**
   * A NEW adapter instance with its own client or connection on the same namespace: what a
   * restarted process would build. Proves persistence. `close` must close these too.
   */
  reopen(): Promise<Storage>;
  /**
   * Reads the backend directly, bypassing the adapter, so it cannot pass by agreeing with itself:
   * without it a storage that loses a step but reports it, or keeps a purged run's records where
   * its own reads do not look, would pass. Required.
   */
  readonly raw: RawReader;
  /**
   * Backend requests (queries, commands, HTTP requests) issued through `storage` so far. Count
   * them by wrapping your client. Proves that load cost does not grow with the number of steps.
   */
  roundTrips?(): number;
  /** Closes every client the harness made and drops the namespace. */
  close(): Promise<void>;
}

export interface RawReader {
  /**
   * The run as stored (its head, step records and pending cleanups), or undefined when its head
   * is absent. Follow the backend's documented layout with plain queries, not the adapter's code.
   */
  readRun(runId: string): Promise<RawRun | undefined>;
}

/** One run as the backend stores it, read without the adapter. */
export interface RawRun {
  readonly status: string;
  readonly owner: string | null;
  /** Keys of every step record of the run, signals included, in any order. */
  readonly stepKeys: readonly string[];
  /** Encoded outputs as stored, by step key. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Names of the pending cleanups, in `seq` order. */
  readonly cleanupNames: readonly string[];
}

export interface ConformanceOptions {
  /**
   * Only these groups of `suites` (default: all). `contractGroups` names the groups that call the
   * storage contract directly, without the core.
   */
  readonly groups?: readonly SuiteGroup[];
  /** Contenders in race tests. Default 16. */
  readonly concurrency?: number;
  /** Size of the large-output test. Default 1 000 000. */
  readonly largeOutputBytes?: number;
}
