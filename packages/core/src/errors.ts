/**
 * The closed union of everything that can go wrong, as data. Every Result-returning operation
 * fails with one of these; the value-returning forms throw a {@link DurableXError} carrying one.
 * `type` is the discriminant: switch on it, never on messages.
 */
export type DurableError =
  | InvalidRunId
  | InvalidName
  | InvalidArgument
  | NotEncodable
  | NotDecodable
  | PayloadTooLarge
  | StorageUnavailable
  | RunBusy
  | RunCompleted
  | LeaseLost
  | StepFailed
  | CleanupFailed
  | UnknownCleanup
  | Suspended
  | Cancelled
  | RunEnded
  | RunNotFound
  | TooManySignals;

export type DurableErrorType = DurableError['type'];

/** A run id is not a string of 1–256 Unicode characters without NUL. Raised before any I/O. */
export interface InvalidRunId {
  readonly type: 'InvalidRunId';
  readonly runId: unknown;
  readonly reason: string;
}

/** A step or cleanup name is not a string of 1–256 characters without NUL. */
export interface InvalidName {
  readonly type: 'InvalidName';
  readonly kind: 'step' | 'cleanup' | 'sleep' | 'signal';
  readonly name: unknown;
  readonly reason: string;
}

/**
 * An option or argument is out of range or of the wrong kind: `NaN`, `Infinity`, a negative or
 * zero count, an invalid `Date`, a malformed cursor, a storage other than the run's own, a step
 * that waits for itself. Raised before any I/O; nothing was written.
 */
export interface InvalidArgument {
  readonly type: 'InvalidArgument';
  /** Which one, as the caller wrote it (`leaseMs`, `retry.attempts`, `cursor`, …). */
  readonly argument: string;
  readonly reason: string;
}

/** A value could not be encoded (a function, a cycle, a class instance…); nothing was written. */
export interface NotEncodable {
  readonly type: 'NotEncodable';
  readonly what: 'input' | 'output' | 'params' | 'error' | 'payload';
  /** Where in the value, as a JSON-path-like string (`$.user.callback`). */
  readonly path: string;
  readonly reason: string;
}

/** A stored record could not be decoded by the codec (changed codec, corrupted row). */
export interface NotDecodable {
  readonly type: 'NotDecodable';
  readonly runId: string;
  readonly what: string;
  readonly cause: unknown;
}

/** An encoded value is larger than the storage accepts; nothing was written. */
export interface PayloadTooLarge {
  readonly type: 'PayloadTooLarge';
  readonly what: 'output' | 'params' | 'error' | 'payload';
  readonly bytes: number;
  readonly limit: number;
}

/** The storage call failed or threw (connection refused, timeout, server gone). Resumable. */
export interface StorageUnavailable {
  readonly type: 'StorageUnavailable';
  readonly storage: string;
  readonly op: string;
  readonly cause: unknown;
}

/** Another owner holds a live lease on the run. Retry after `leaseExpiresAt`. */
export interface RunBusy {
  readonly type: 'RunBusy';
  readonly runId: string;
  /** Epoch milliseconds at which the other owner's lease runs out unless renewed. */
  readonly leaseExpiresAt: number;
}

/** The run is completed and this step has no memoized record in it, so it cannot be recorded now. */
export interface RunCompleted {
  readonly type: 'RunCompleted';
  readonly runId: string;
  readonly step: string;
}

/**
 * Another owner took the run over (this process's lease ran out or it was declared dead): this
 * process must stop working on the run. Nothing it does now is written.
 */
export interface LeaseLost {
  readonly type: 'LeaseLost';
  readonly runId: string;
  readonly op: string;
}

/** The step's function threw or returned an `Err`; nothing was memoized, so it runs again next time. */
export interface StepFailed {
  readonly type: 'StepFailed';
  readonly runId: string;
  readonly step: string;
  readonly cause: unknown;
  /**
   * With a retry policy: the attempts made, this run included. Retries were exhausted (or the
   * error was not retryable) and the run is now `failed`, its cleanups run.
   */
  readonly attempts?: number;
}

/** A pending cleanup threw. It stays pending (with every older one) and is retried on the next load. */
export interface CleanupFailed {
  readonly type: 'CleanupFailed';
  readonly runId: string;
  readonly cleanup: string;
  readonly cause: unknown;
}

/** Pending cleanups name runners that the registry does not have. None of the run's cleanups ran. */
export interface UnknownCleanup {
  readonly type: 'UnknownCleanup';
  readonly runId: string;
  readonly names: readonly string[];
}

/**
 * Not a failure: the run is parked (a durable sleep, or a wait for a signal) and released its
 * lease. Run it again at `resumeAt` (null: when the awaited signal arrives; `signal` reports it).
 * A load before then is harmless: finished steps skip and the run parks again.
 */
export interface Suspended {
  readonly type: 'Suspended';
  readonly runId: string;
  readonly reason: 'sleep' | 'signal';
  /** The sleep or signal name the run waits on. */
  readonly name: string;
  /** Epoch ms, or null when only a signal can wake the run. */
  readonly resumeAt: number | null;
}

/** The run was cancelled (`cancel`): its pending cleanups ran (or stay pending) and it never runs again. */
export interface Cancelled {
  readonly type: 'Cancelled';
  readonly runId: string;
  /** Cleanups this load of the run ran, newest first: the undo's, after any its resume ran. */
  readonly cleanupsRun: readonly string[];
}

/**
 * This process already ended its hold on the run: it failed it (`fail`, or a step that spent its
 * retries), or housekeeping compensated it. Load the run again to retry it.
 */
export interface RunEnded {
  readonly type: 'RunEnded';
  readonly runId: string;
  readonly status: 'failed' | 'compensated';
  /** The call that was refused. */
  readonly op: string;
}

/** The run already holds as many signals as the storage allows; this one was not stored. */
export interface TooManySignals {
  readonly type: 'TooManySignals';
  readonly runId: string;
  readonly name: string;
  readonly limit: number;
}

/** A signal or cancellation named a run that does not exist. Nothing was written. */
export interface RunNotFound {
  readonly type: 'RunNotFound';
  readonly runId: string;
}

/** What the value-returning API throws: an `Error` that carries the typed error as `.error`. */
export class DurableXError extends Error {
  override readonly name = 'DurableXError';
  readonly error: DurableError;
  constructor(error: DurableError) {
    super(describeError(error), causeOf(error));
    this.error = error;
  }
  get type(): DurableErrorType {
    return this.error.type;
  }
}

/** True when `e` is a {@link DurableXError}, optionally of one `type`. Works across duplicate installs. */
export const isDurableXError = <T extends DurableErrorType>(
  e: unknown,
  type?: T,
): e is DurableXError & { error: Extract<DurableError, { type: T }> } =>
  e instanceof Error &&
  e.name === 'DurableXError' &&
  typeof (e as DurableXError).error === 'object' &&
  (type === undefined || (e as DurableXError).error.type === type);

const causeOf = (error: DurableError): { cause: unknown } | undefined =>
  'cause' in error ? { cause: error.cause } : undefined;

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/** One human sentence per error; stable enough for logs, not meant to be parsed. */
export const describeError = (error: DurableError): string => {
  switch (error.type) {
    case 'InvalidRunId':
      return `invalid run id: ${error.reason}`;
    case 'InvalidName':
      return `invalid ${error.kind} name: ${error.reason}`;
    case 'InvalidArgument':
      return `invalid ${error.argument}: ${error.reason}`;
    case 'NotEncodable':
      return `${error.what} is not encodable at ${error.path}: ${error.reason}`;
    case 'NotDecodable':
      return `stored ${error.what} of run ${JSON.stringify(error.runId)} is not decodable: ${messageOf(error.cause)}`;
    case 'PayloadTooLarge':
      return `${error.what} is ${error.bytes} bytes encoded, over the storage limit of ${error.limit}`;
    case 'StorageUnavailable':
      return `storage ${error.storage} failed in ${error.op}: ${messageOf(error.cause)}`;
    case 'RunBusy':
      return `run ${JSON.stringify(error.runId)} is busy: another owner's lease runs until ${instant(error.leaseExpiresAt)}`;
    case 'RunCompleted':
      return `run ${JSON.stringify(error.runId)} is completed and has no record of step ${JSON.stringify(error.step)}`;
    case 'LeaseLost':
      return `run ${JSON.stringify(error.runId)} was taken over by another owner (refused ${error.op}); stop working on it`;
    case 'StepFailed':
      return `step ${JSON.stringify(error.step)} of run ${JSON.stringify(error.runId)} failed${error.attempts === undefined ? '' : ` after ${error.attempts} attempt(s)`}: ${messageOf(error.cause)}`;
    case 'CleanupFailed':
      return `cleanup ${JSON.stringify(error.cleanup)} of run ${JSON.stringify(error.runId)} failed and stays pending: ${messageOf(error.cause)}`;
    case 'UnknownCleanup':
      return `run ${JSON.stringify(error.runId)} has pending cleanups with no runner in the registry: ${error.names.join(', ')}`;
    case 'Suspended':
      return `run ${JSON.stringify(error.runId)} is suspended on ${error.reason} ${JSON.stringify(error.name)} until ${error.resumeAt === null ? 'a signal arrives' : instant(error.resumeAt)}`;
    case 'Cancelled':
      return `run ${JSON.stringify(error.runId)} was cancelled${error.cleanupsRun.length > 0 ? `; cleanups run: ${error.cleanupsRun.join(', ')}` : ''}`;
    case 'RunEnded':
      return `run ${JSON.stringify(error.runId)} was already ${error.status} by this process (refused ${error.op}); load it again to retry`;
    case 'RunNotFound':
      return `run ${JSON.stringify(error.runId)} does not exist`;
    case 'TooManySignals':
      return `run ${JSON.stringify(error.runId)} already holds ${error.limit} signals: signal ${JSON.stringify(error.name)} was not stored`;
  }
};

/** An epoch-ms instant for a message; never throws (a Date out of range has no ISO form). */
const instant = (ms: number): string => {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
};
