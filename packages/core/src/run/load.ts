import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { type Checked, checkFunction, checkNumber, invalid, MAX_TIMER_MS } from '../arguments.ts';
import { type Clock, systemClock } from '../clock.ts';
import { type Codec, defaultCodec } from '../codec/codec.ts';
import type { InvalidArgument, InvalidRunId, RunBusy, StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { RunSnapshot, StepRecord, Storage } from '../storage/contract.ts';
import { noActivity } from './activity.ts';
import { undoCancelled } from './cancellation.ts';
import { type CompensateError, compensate, INTERRUPTED } from './compensate.ts';
import { type EventListener, safeEmit } from './events.ts';
import { cancelledUnder, type Refusal, refusal } from './gateway.ts';
import { type Checkpoint, checkpointOf, type RunHandle } from './handle.ts';
import { isAttemptKey } from './keys.ts';
import { release, renew } from './lease.ts';
import { leaseKeeper } from './lease-keeper.ts';
import { checkName, checkRunId } from './names.ts';
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
}

export const DEFAULT_LEASE_MS = 30_000;

export type LoadError =
  | InvalidArgument
  | InvalidRunId
  | RunBusy
  | StorageUnavailable
  | CompensateError
  | Refusal;

/**
 * Claims a run and hands back its checkpoint: creates the run if absent, takes it over if its
 * lease expired or was released, replays it read-only if it completed, and answers `RunBusy`
 * while another owner's lease is live. A run taken over first runs its pending cleanups, except
 * after a suspension (the run parked on purpose). A cancelled run only runs its cleanups and
 * answers `Cancelled`. One storage round trip when no cleanup is pending, whatever the number of
 * steps (two for a new run with a `version`).
 */
export const load =
  (storage: Storage, options: LoadOptions = {}) =>
  (registry: CleanupRegistry) =>
  (runId: string): ResultAsync<Checkpoint, LoadError> =>
    new ResultAsync(loadRun(storage, options, registry, runId)).map(checkpointOf);

/** Every option in range, before any I/O. */
const checkOptions = (storage: Storage, options: LoadOptions, registry: CleanupRegistry): Checked<void> => {
  if (typeof storage !== 'object' || storage === null || typeof storage.claim !== 'function') {
    return invalid('storage', 'expected a durable-x Storage');
  }
  if (typeof registry !== 'object' || registry === null)
    return invalid('registry', 'expected an object of cleanup runners');
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
    options.ownerPrefix === undefined
      ? ok(undefined)
      : checkName('step', options.ownerPrefix).mapErr(() => ({
          type: 'InvalidArgument' as const,
          argument: 'ownerPrefix',
          reason: 'expected a string of 1–256 characters without NUL',
        })),
  ];
  for (const check of checks) if (check.isErr()) return err(check.error);
  return ok(undefined);
};

/** The run as a caller saw it: take it over only if it is still so (see `ClaimRequest.ifOwner`). */
export interface Seen {
  readonly owner: string;
  readonly leaseExpiresAt: number;
}

/**
 * `load`, as the handle. With `seen`, only a run still held by that owner under that lease is
 * taken over (housekeeping takes over the run it listed, and never one that moved on since).
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
  const owner = `${options.ownerPrefix ?? storage.ownerPrefix ?? 'dx'}:${crypto.randomUUID()}`;
  const claimed = await callStorage(storage, 'claim', {
    runId,
    owner,
    now: clock.now(),
    leaseMs,
    ...(seen === undefined ? {} : { ifOwner: seen.owner, ifLeaseExpiresAt: seen.leaseExpiresAt }),
  });
  if (claimed.isErr()) return err(claimed.error);
  const outcome = claimed.value;
  if (outcome.kind === 'busy' || outcome.kind === 'not-found') {
    return err({
      type: 'RunBusy',
      runId,
      leaseExpiresAt: outcome.kind === 'busy' ? outcome.run.leaseExpiresAt : 0,
    });
  }
  const run = handleFrom(outcome.snapshot, {
    runId,
    owner,
    storage,
    registry,
    clock,
    leaseMs,
    codec: options.codec ?? defaultCodec,
    emit: safeEmit(options.onEvent),
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
  return versioned.isErr() ? err(versioned.error) : ok(run);
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
  const compensated = await compensate(run, 'running');
  if (compensated.isOk()) return ok(undefined);
  if (compensated.error === INTERRUPTED) return refusal(run, 'load');
  run.keeper.stop();
  await release(run);
  return err(compensated.error as CompensateError);
};
