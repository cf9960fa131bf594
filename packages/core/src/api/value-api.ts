import type { ResultAsync } from 'neverthrow';
import { type DurableError, DurableXError } from '../errors.ts';
import * as R from '../result.ts';
import type { CleanupParams, CleanupRegistry } from '../run/registry.ts';
import type { Checkpoint } from '../run/session.ts';
import type { RunSnapshot, Storage } from '../storage/contract.ts';

/** Awaits a ResultAsync: the value, or a thrown `DurableXError` carrying the typed error. */
export const orThrow = <T>(result: ResultAsync<T, DurableError>): Promise<T> =>
  result.match(
    (value) => value,
    (error) => {
      throw new DurableXError(error);
    },
  );

/** Claims (or creates, or replays) a run; see `@td7x/durable-x/result` `load`. */
export const load =
  (storage: Storage, options?: R.LoadOptions) =>
  (registry: CleanupRegistry) =>
  (runId: string): Promise<Checkpoint> =>
    orThrow(R.load(storage, options)(registry)(runId));

/** A memoized step: `await durable(storage)(cp)(name)(input)(fn)` yields the step's value. */
export const durable =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  (input?: unknown) =>
  <T>(fn: () => T): Promise<R.StepValue<T>> =>
    orThrow(R.durable(storage)(cp)(name)(input)(fn));

export const beforeRisky =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  (params?: CleanupParams): Promise<void> =>
    orThrow(R.beforeRisky(storage)(cp)(name)(params));

export const afterSafe =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string): Promise<void> =>
    orThrow(R.afterSafe(storage)(cp)(name));

export const complete =
  (storage: Storage) =>
  (cp: Checkpoint): Promise<R.CompleteReport> =>
    orThrow(R.complete(storage)(cp));

export const fail =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (error: unknown): Promise<R.FailReport> =>
    orThrow(R.fail(storage)(cp)(error));

export const listRuns =
  (storage: Storage) =>
  (query?: R.ListRunsQuery): Promise<R.RunPage> =>
    orThrow(R.listRuns(storage)(query));

export const findAbandoned =
  (storage: Storage, options?: Parameters<typeof R.findAbandoned>[1]) =>
  (query?: { limit?: number; cursor?: string }): Promise<R.RunPage> =>
    orThrow(R.findAbandoned(storage, options)(query));

export const recoverAbandoned =
  (storage: Storage, options?: R.LoadOptions) =>
  (registry: CleanupRegistry) =>
  (query?: { limit?: number }): Promise<R.RecoverReport> =>
    orThrow(R.recoverAbandoned(storage, options)(registry)(query));

export const purgeRuns =
  (storage: Storage, options?: Parameters<typeof R.purgeRuns>[1]) =>
  (query: R.PurgeRunsQuery): Promise<number> =>
    orThrow(R.purgeRuns(storage, options)(query));

export const inspectRun =
  (storage: Storage) =>
  (runId: string): Promise<RunSnapshot | undefined> =>
    orThrow(R.inspectRun(storage)(runId));

export type {
  CompleteReport,
  FailReport,
  ListRunsQuery,
  LoadOptions,
  PurgeRunsQuery,
  RecoverReport,
  RunPage,
  StepValue,
} from '../result.ts';
