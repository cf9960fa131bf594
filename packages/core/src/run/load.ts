import { err, ok, type Result, ResultAsync } from 'neverthrow';
import {
  type Checked,
  checkFunction,
  checkNumber,
  checkObject,
  invalid,
  MAX_TIMER_MS,
} from '../arguments.ts';
import { type Clock, systemClock } from '../clock.ts';
import { type Codec, defaultCodec } from '../codec/codec.ts';
import type { InvalidArgument, InvalidRunId, RunBusy, StorageUnavailable } from '../errors.ts';
import type { RunSnapshot, StepRecord, Storage } from '../storage/contract.ts';
import { noActivity } from './activity.ts';
import { undoCancelled } from './cancellation.ts';
import { claimRun, type Seen } from './claim.ts';
import { type CompensateError, compensate, INTERRUPTED } from './compensate.ts';
import { type EventListener, safeEmit } from './events.ts';
import { cancelledUnder, type Refusal, refusal } from './gateway.ts';
import { type Checkpoint, checkpointOf, type RunHandle } from './handle.ts';
import { isAttemptKey } from './keys.ts';
import { release, renew } from './lease.ts';
import { leaseKeeper } from './lease-keeper.ts';
import { DEFAULT_LIVENESS_TIMEOUT_MS, type LivenessCheck } from './liveness.ts';
import { checkName, checkRunId } from './names.ts';
import { newOwnerToken } from './owner.ts';
import type { CleanupRegistry } from './registry.ts';
import { applyVersion } from './version.ts';

export interface LoadOptions {
  /** Lease length in ms; renewed every third of it while the run is active. Default 30 000. */
  readonly leaseMs?: number;
  /** Time and timers; inject `manualClock()` in tests. */
  readonly clock?: Clock;
  /** Encoding of outputs, params and errors. Every process of a run must use the same one. */
  readonly codec?: Codec;
  /**
   * A readable prefix for the owner token (a job id, a host name); a random part is always added.
   * Default: the storage's `ownerPrefix`, else `dx`.
   */
  readonly ownerPrefix?: string;
  /**
   * The version of your workflow code. A run whose steps were recorded under another version (or
   * none) is restarted from scratch: its pending cleanups run, every step is forgotten, and it
   * goes on under this version. Without it, old memos are reused as they match (see README).
   */
  readonly version?: string;
  readonly onEvent?: EventListener;
  /**
   * Asked when the run is held by another owner's live lease: when it proves that owner dead,
   * the run is taken over at once (a claim that succeeds only while that owner still holds it)
   * instead of answering `RunBusy`. `sameHostLiveness()` from `@td7x/durable-x/node` (a killed
   * process on this host), `executorLiveness(id)` (a restarted executor), `windmillJobLiveness()`
   * from `@td7x/durable-x-windmill` (a finished job). Its `identity` names this process in the
   * owner token, so do not pass `ownerPrefix` with it. Default: the storage's, else none.
   */
  readonly liveness?: LivenessCheck;
  /** How long the liveness check may take; slower (or throwing) counts as `unknown`. Default 2 000. */
  readonly livenessTimeoutMs?: number;
  /**
   * Wait for a busy run instead of answering `RunBusy` at once (CLI tools, scripts): claim again
   * when the other owner's lease runs out (and, with a liveness check, as soon as it proves the
   * owner dead), for at most `timeoutMs` (default 60 000), or until `signal` aborts; then `RunBusy`.
   */
  readonly waitForLease?: { readonly timeoutMs?: number; readonly signal?: AbortSignal };
}

export const DEFAULT_LEASE_MS = 30_000;
/** Two default leases: long enough for a dead owner's default lease to run out. */
export const DEFAULT_WAIT_FOR_LEASE_MS = 60_000;

export type LoadError =
  | InvalidArgument
  | InvalidRunId
  | RunBusy
  | StorageUnavailable
  | CompensateError
  | Refusal;

/**
 * Claims a run and hands back its checkpoint: creates the run if absent, takes it over if its
 * lease expired or was released (or its owner is proven dead by the liveness check), replays it
 * read-only if it completed, and answers `RunBusy` while another owner's lease is live (or waits
 * for it, with `waitForLease`). A run taken over first runs its pending cleanups, except
 * after a suspension (the run parked on purpose). A cancelled run only runs its cleanups and
 * answers `Cancelled`. One storage round trip when no cleanup is pending, whatever the number of
 * steps (two for a new run with a `version`).
 */
export const load =
  (storage: Storage, options: LoadOptions = {}) =>
  (registry: CleanupRegistry) =>
  (runId: string): ResultAsync<Checkpoint, LoadError> =>
    new ResultAsync(loadRun(storage, options, registry, runId)).map(checkpointOf);

const nameLike = (argument: string, value: string | undefined): Checked<undefined> =>
  value === undefined
    ? ok(undefined)
    : checkName('step', value)
        .map(() => undefined)
        .mapErr(() => ({
          type: 'InvalidArgument' as const,
          argument,
          reason: 'expected a string of 1–256 characters without NUL',
        }));

const checkLiveness = (liveness: unknown): Checked<undefined> => {
  if (liveness === undefined) return ok(undefined);
  if (
    typeof liveness !== 'object' ||
    liveness === null ||
    typeof (liveness as LivenessCheck).check !== 'function'
  ) {
    return invalid('liveness', 'expected a liveness check: { identity?, check(owner, signal) }');
  }
  return nameLike('liveness.identity', (liveness as LivenessCheck).identity);
};

const isAbortSignal = (value: unknown): value is AbortSignal =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as AbortSignal).aborted === 'boolean' &&
  typeof (value as AbortSignal).addEventListener === 'function';

const checkWait = (wait: LoadOptions['waitForLease']): Checked<undefined> => {
  if (wait === undefined) return ok(undefined);
  if (typeof wait !== 'object' || wait === null)
    return invalid('waitForLease', 'expected { timeoutMs?, signal? }');
  if (wait.signal !== undefined && !isAbortSignal(wait.signal))
    return invalid('waitForLease.signal', 'expected an AbortSignal');
  return wait.timeoutMs === undefined
    ? ok(undefined)
    : checkNumber('waitForLease.timeoutMs', wait.timeoutMs, { min: 0, max: MAX_TIMER_MS, integer: true }).map(
        () => undefined,
      );
};

/** Every option in range, before any I/O. */
const checkOptions = (storage: Storage, options: LoadOptions, registry: CleanupRegistry): Checked<void> => {
  const object = checkObject('options', options);
  if (object.isErr()) return object;
  if (typeof storage !== 'object' || storage === null || typeof storage.claim !== 'function') {
    return invalid('storage', 'expected a durable-x Storage');
  }
  if (typeof registry !== 'object' || registry === null)
    return invalid('registry', 'expected an object of cleanup runners');
  if (options.ownerPrefix !== undefined && options.liveness?.identity !== undefined) {
    return invalid('ownerPrefix', 'the liveness check names the owner (its identity): pass one or the other');
  }
  const checks = [
    options.leaseMs === undefined
      ? ok(0)
      : checkNumber('leaseMs', options.leaseMs, { min: 3, max: MAX_TIMER_MS, integer: true }),
    checkFunction('onEvent', options.onEvent),
    options.version === undefined
      ? ok(undefined)
      : checkName('step', options.version).mapErr(() => ({
          type: 'InvalidArgument' as const,
          argument: 'version',
          reason: 'expected a string of 1–256 characters without NUL',
        })),
    nameLike('ownerPrefix', options.ownerPrefix),
    checkLiveness(options.liveness ?? storage.liveness),
    options.livenessTimeoutMs === undefined
      ? ok(0)
      : checkNumber('livenessTimeoutMs', options.livenessTimeoutMs, {
          min: 1,
          max: MAX_TIMER_MS,
          integer: true,
        }),
    checkWait(options.waitForLease),
  ];
  for (const check of checks) if (check.isErr()) return err(check.error);
  return ok(undefined);
};

/**
 * `load`, as the handle. With `seen`, only a run still held by that owner under that lease is
 * taken over (housekeeping takes over the run it listed, and never one that moved on since); no
 * liveness check and no waiting then.
 */
export const loadRun = async (
  storage: Storage,
  options: LoadOptions,
  registry: CleanupRegistry,
  runId: string,
  seen?: Seen,
): Promise<Result<RunHandle, LoadError>> => {
  const checked = checkOptions(storage, options, registry);
  if (checked.isErr()) return err(checked.error);
  const id = checkRunId(runId);
  if (id.isErr()) return err(id.error);
  const clock = options.clock ?? systemClock;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const emit = safeEmit(options.onEvent);
  const liveness = options.liveness ?? storage.liveness;
  const owner = newOwnerToken(options.ownerPrefix ?? liveness?.identity ?? storage.ownerPrefix ?? 'dx');
  const wait = options.waitForLease;
  const claimed = await claimRun({
    storage,
    runId,
    owner,
    clock,
    leaseMs,
    seen,
    liveness,
    livenessTimeoutMs: options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS,
    wait:
      wait === undefined || seen !== undefined
        ? undefined
        : { deadline: clock.now() + (wait.timeoutMs ?? DEFAULT_WAIT_FOR_LEASE_MS), signal: wait.signal },
    emit,
  });
  if (claimed.isErr()) return err(claimed.error);
  const outcome = claimed.value;
  const run = handleFrom(outcome.snapshot, {
    runId,
    owner,
    storage,
    registry,
    clock,
    leaseMs,
    codec: options.codec ?? defaultCodec,
    emit,
    observed: options.onEvent !== undefined,
    previousStatus: outcome.kind === 'claimed' ? outcome.previousStatus : outcome.snapshot.run.status,
    replay: outcome.kind === 'completed',
  });
  run.emit({
    type: 'run.loaded',
    runId,
    attempt: run.attempt,
    status: run.replay ? 'completed' : 'running',
    previousStatus: run.previousStatus,
    memoizedSteps: run.records.size,
    pendingCleanups: run.pending.length,
  });
  if (run.replay) return ok(run);
  const resumed = await resume(run, outcome.snapshot.run.status === 'cancelled');
  if (resumed.isErr()) return err(resumed.error);
  const versioned = await applyVersion(run, options.version);
  return versioned.isErr() ? letGo(run, versioned.error) : ok(run);
};

/**
 * A load that cannot go on (a cleanup failed, a write failed) lets go of the run it still holds,
 * so that the next load need not wait out the lease.
 */
const letGo = async <E>(run: RunHandle, error: E): Promise<Result<never, E>> => {
  if (run.state.kind === 'running') {
    run.keeper.stop();
    await release(run);
  }
  return err(error);
};

type Seed = Pick<
  RunHandle,
  | 'runId'
  | 'owner'
  | 'storage'
  | 'registry'
  | 'clock'
  | 'leaseMs'
  | 'codec'
  | 'emit'
  | 'observed'
  | 'previousStatus'
  | 'replay'
>;

/** A loop, not `Math.max(...)`: spreading 150k records overflows the call stack. */
const highestSeq = (...lists: readonly (readonly { seq: number }[])[]): number => {
  let highest = 0;
  for (const list of lists) for (const record of list) if (record.seq > highest) highest = record.seq;
  return highest;
};

const recordsByKey = (steps: readonly StepRecord[]): Map<string, StepRecord> => {
  const records = new Map<string, StepRecord>();
  for (const step of steps) records.set(step.key, step);
  return records;
};

/** The run as the claim found it: `running`, or `replaying` for a completed run. */
const handleFrom = (snapshot: RunSnapshot, seed: Seed): RunHandle => {
  const pending = [...snapshot.cleanups].sort((a, b) => a.seq - b.seq);
  // Every field spelled out, no `...seed`: a spread into a literal this size makes V8 build a
  // slow (dictionary) object on every load, and every later property read on the run pays for it.
  const run: RunHandle = {
    runId: seed.runId,
    owner: seed.owner,
    storage: seed.storage,
    registry: seed.registry,
    clock: seed.clock,
    leaseMs: seed.leaseMs,
    codec: seed.codec,
    emit: seed.emit,
    observed: seed.observed,
    previousStatus: seed.previousStatus,
    replay: seed.replay,
    attempt: snapshot.run.attempt,
    state: seed.replay ? { kind: 'replaying' } : { kind: 'running' },
    records: recordsByKey(snapshot.steps),
    pending,
    inherited: seed.previousStatus === 'suspended' ? [...pending] : [],
    windows: new Map(),
    opened: new Map(),
    seq: highestSeq(snapshot.steps, pending),
    attemptsRecorded: snapshot.steps.some((s) => isAttemptKey(s.key)),
    cleanupsRun: [],
    leaseExpiresAt: seed.replay ? 0 : snapshot.run.leaseExpiresAt,
    keeper: leaseKeeper(
      seed.clock,
      seed.leaseMs,
      () => void renew(run),
      () => release(run),
    ),
    activity: noActivity(),
    writes: new Set(),
    executions: new Map(),
    compensating: Promise.resolve(),
    leaseWrites: undefined,
    abort: new AbortController(),
    undo: undoCancelled,
  };
  if (seed.replay) run.keeper.stop();
  return run;
};

/**
 * A run taken over first compensates what a crashed attempt left pending; a cancelled one is
 * undone, and the load answers `Cancelled`. A run that suspended did not crash: its pending
 * cleanups are adopted by the replay, not run. When a cleanup cannot run now, the lease is
 * released so that the next attempt, in any process, may claim the run at once.
 */
const resume = async (run: RunHandle, cancelled: boolean): Promise<Result<void, LoadError>> => {
  if (cancelled) {
    cancelledUnder(run);
    return refusal(run, 'load');
  }
  if (run.pending.length === 0 || run.previousStatus === 'suspended') return ok(undefined);
  const compensated = await compensate(run, 'running', 'memory');
  if (compensated.isOk()) return ok(undefined);
  if (compensated.error === INTERRUPTED) return refusal(run, 'load');
  return letGo(run, compensated.error as CompensateError);
};
