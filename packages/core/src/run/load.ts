import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { type Clock, systemClock } from '../clock.ts';
import { type Codec, defaultCodec } from '../codec/codec.ts';
import type { Cancelled, InvalidRunId, LeaseLost, RunBusy, StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { ClaimOutcome, Storage } from '../storage/contract.ts';
import { finishCancelled } from './cancellation.ts';
import { type CompensateError, compensateOrRelease } from './compensate.ts';
import { type EventListener, safeEmit } from './events.ts';
import { leaseKeeper } from './lease.ts';
import { checkRunId } from './names.ts';
import type { CleanupRegistry } from './registry.ts';
import { type Checkpoint, checkpointOf, type Session, sessionFromSnapshot } from './session.ts';
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

export type LoadError = InvalidRunId | RunBusy | StorageUnavailable | CompensateError | Cancelled | LeaseLost;

/**
 * Claims a run and hands back its checkpoint (SPEC 1 and 2): creates the run if absent, takes it
 * over if its lease expired or was released, replays it read-only if it completed, and answers
 * `RunBusy` while another owner's lease is live. A run taken over first runs its pending cleanups,
 * except after a suspension (the run parked on purpose). A cancelled run only runs its cleanups
 * and answers `Cancelled`. One storage round trip when no cleanup is pending, whatever the
 * number of steps (two for a new run with a `version`).
 */
export const load =
  (storage: Storage, options: LoadOptions = {}) =>
  (registry: CleanupRegistry) =>
  (runId: string): ResultAsync<Checkpoint, LoadError> => {
    const clock = options.clock ?? systemClock;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const owner = `${options.ownerPrefix ?? storage.ownerPrefix ?? 'dx'}:${crypto.randomUUID()}`;
    return checkRunId(runId)
      .asyncAndThen((id) => callStorage(storage, 'claim', { runId: id, owner, now: clock.now(), leaseMs }))
      .andThen((outcome) =>
        startSession(outcome, {
          runId,
          owner,
          storage,
          registry,
          clock,
          leaseMs,
          codec: options.codec ?? defaultCodec,
          emit: safeEmit(options.onEvent),
          completed: outcome.kind === 'completed',
          previousStatus: outcome.kind === 'claimed' ? outcome.previousStatus : null,
          reload: async () => load(storage, options)(registry)(runId),
        }),
      )
      .andThen((session) =>
        session.storedStatus === 'cancelled'
          ? finishCancelled(session)
          : resumeRun(session).andThen((s) => applyVersion(s, options.version)),
      )
      .map(checkpointOf);
  };

type Seed = Parameters<typeof sessionFromSnapshot>[0];

const startSession = (outcome: ClaimOutcome, seed: Seed): ResultAsync<Session, RunBusy> => {
  if (outcome.kind === 'busy') {
    return errAsync({ type: 'RunBusy', runId: seed.runId, leaseExpiresAt: outcome.run.leaseExpiresAt });
  }
  const session = sessionFromSnapshot(seed, outcome.snapshot, leaseKeeper);
  if (session.completed) session.leaseExpiresAt = 0;
  session.emit({
    type: 'run.loaded',
    runId: session.runId,
    attempt: session.attempt,
    status: session.completed ? 'completed' : 'running',
    previousStatus: session.previousStatus,
    memoizedSteps: session.memo.size,
    pendingCleanups: session.pending.length,
  });
  return okAsync(session);
};

/**
 * A run that is not completed first compensates what a crashed attempt left pending. A run that
 * suspended did not crash: its pending cleanups are adopted by the replay, not run.
 */
const resumeRun = (session: Session): ResultAsync<Session, CompensateError> => {
  if (session.completed || session.pending.length === 0 || session.previousStatus === 'suspended') {
    return okAsync(session);
  }
  return compensateOrRelease(session).map(() => session);
};
