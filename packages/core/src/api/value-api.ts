import type { Result, ResultAsync } from 'neverthrow';
import { type DurableError, DurableXError } from '../errors.ts';
import * as R from '../result.ts';
import type { Checkpoint } from '../run/handle.ts';
import type { CleanupParams, CleanupRegistry } from '../run/registry.ts';
import type { Received } from '../run/signal-record.ts';
import { startStep } from '../run/step.ts';
import type { RunSnapshot, Storage } from '../storage/contract.ts';

/** Awaits a ResultAsync: the value, or a thrown `DurableXError` carrying the typed error. */
const orThrow = <T>(result: ResultAsync<T, DurableError>): Promise<T> =>
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

const valueOrThrow = <T>(outcome: Result<T, DurableError>): T => {
  if (outcome.isErr()) throw new DurableXError(outcome.error);
  return outcome.value;
};

/** A memoized step: `await durable(storage)(cp)(name)(input)(fn)` yields the step's value. */
export const durable =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string, options?: R.StepOptions) =>
  (input?: unknown) =>
  <T>(fn: (step: R.StepContext) => T): Promise<R.StepValue<T>> => {
    // Straight from the step path: a memoized step is answered without a ResultAsync hop.
    const outcome = startStep(storage, cp, name, options, input, fn) as
      | Result<R.StepValue<T>, DurableError>
      | Promise<Result<R.StepValue<T>, DurableError>>;
    if (outcome instanceof Promise) return outcome.then(valueOrThrow);
    try {
      return Promise.resolve(valueOrThrow(outcome));
    } catch (error) {
      return Promise.reject(error);
    }
  };

/** A durable sleep; throws a `Suspended` DurableXError until its time (see `suspensionOf`). */
export const sleep =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  (duration: R.SleepFor): Promise<void> =>
    orThrow(R.sleep(storage)(cp)(name)(duration));

/** Waits for a signal: `{ kind: 'signal', payload }` or `{ kind: 'timeout' }`; else throws `Suspended`. */
export const waitFor =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  <T = unknown>(options?: R.WaitOptions): Promise<Received<T>> =>
    orThrow(R.waitFor(storage)(cp)(name)<T>(options));

/** Sends a signal to a run from any process; throws `RunNotFound` for an unknown run. */
export const signal =
  (storage: Storage, options?: R.SignalOptions) =>
  (runId: string) =>
  (name: string) =>
  (payload?: unknown): Promise<R.SignalReport> =>
    orThrow(R.signal(storage, options)(runId)(name)(payload));

/** Cancels a run from any process; throws `RunNotFound` for an unknown run. */
export const cancel =
  (storage: Storage, options?: Parameters<typeof R.cancel>[1]) =>
  (runId: string): Promise<R.CancelReport> =>
    orThrow(R.cancel(storage, options)(runId));

/** Suspended runs due now, for a host that polls. */
export const findDue =
  (storage: Storage, options?: Parameters<typeof R.findDue>[1]) =>
  (query?: { limit?: number; cursor?: string }): Promise<R.RunPage> =>
    orThrow(R.findDue(storage, options)(query));

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

/** A run decoded for an operator: steps with attempts and last error, sleeps, waits, signals. */
export const describeRun =
  (storage: Storage, options?: Parameters<typeof R.describeRun>[1]) =>
  (runId: string): Promise<R.RunDescription | undefined> =>
    orThrow(R.describeRun(storage, options)(runId));

export type {
  CancelReport,
  CompleteReport,
  FailReport,
  ListRunsQuery,
  LoadOptions,
  PurgeRunsQuery,
  RecoverReport,
  RunDescription,
  RunPage,
  SignalOptions,
  SignalReport,
  SleepFor,
  StepContext,
  StepOptions,
  StepValue,
  StepView,
  WaitOptions,
} from '../result.ts';
