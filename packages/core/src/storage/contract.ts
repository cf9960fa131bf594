import type { LivenessCheck } from '../run/liveness.ts';

/**
 * The storage contract: what a backend must do, and nothing of what a workflow means.
 *
 * Every method is ONE atomic operation on the backend (one SQL statement or local transaction,
 * one Lua script, one conditional PUT…), except `purge`, which may take several as long as each
 * run is deleted atomically and only if it still matches. The core decides what to claim, which steps to forget
 * and in which order cleanups run; a storage only applies the change it is given, atomically,
 * fenced by the owner token where the request carries one.
 *
 * Rules for implementers (the conformance suite in `@td7x/durable-x-testkit` checks each):
 * - A method resolves with an outcome for every expected situation (busy, lost lease, existing
 *   record) and rejects only when the backend failed. The core turns a rejection into a typed
 *   `StorageUnavailable`, so adapters need no error types of their own.
 * - Values (`output`, `params`, `error`) are opaque strings produced by the core's codec: store
 *   them byte for byte. Run ids, step keys and names are arbitrary Unicode (no NUL, ≤ 256
 *   characters for ids and names): never interpolate them into a query, key or path unescaped.
 * - Time is given in the request (`now`, epoch milliseconds from the core's clock); a storage
 *   never reads its own clock, so tests need no sleeps and all owners share one notion of time.
 * - "Fenced" means: apply the change only while `run.owner === owner`; otherwise resolve
 *   `'lease-lost'` and change nothing. A lease that merely expired is still held by its owner
 *   until someone else claims the run. When the owner matches but the run is `cancelled`, resolve
 *   `'cancelled'`: the writes that run the cleanups of a cancelled run (`rollback`, `setLease`,
 *   and `finish` to `cancelled`) are applied all the same; every other fenced write changes nothing.
 * - A request may arrive twice (a driver resends it after a lost reply): each method says what
 *   its second arrival answers, and it never changes anything the first did not.
 */
export interface Storage {
  /** Short name used in error messages (`sqlite`, `postgres`, …). */
  readonly name: string;

  /**
   * Claim the run for `owner`, atomically, and return everything stored for it.
   * - absent → create it (`running`, attempt 1, owner, lease until `now + leaseMs`) → `claimed`,
   *   `previousStatus` null; with `ifOwner` given → `not-found`, creating nothing;
   * - `completed` → change nothing → `completed` with the snapshot;
   * - owner === `owner` → this very claim arrived twice (owner tokens are unique per load): change
   *   nothing → `claimed` with the snapshot and the `previousStatus` that the first arrival
   *   answered (the storage keeps it with the owner);
   * - `ifOwner` given: owner === `ifOwner`, and when `ifLeaseExpiresAt` is given its lease still
   *   ends exactly then (live or not) → take it over as below; any other owner, none, or another
   *   lease → `busy` with the current head, changing nothing. This is how a process that knows
   *   the owner is dead, or housekeeping that listed the run, takes over exactly the run it saw
   *   and never one that moved on (was resumed, renewed, suspended, finished) since;
   * - no `ifOwner`: owner is null, or `leaseExpiresAt <= now` → take it over: set the owner and
   *   lease, `attempt + 1`, status `running` — except a `cancelled` run, which stays `cancelled`
   *   (its new owner only runs its cleanups) → `claimed`, with the status the run had before
   *   (`previousStatus`);
   * - otherwise → `busy` with the current head, changing nothing.
   * ONE round trip on backends that allow it, whatever the number of steps.
   * The snapshot must include every fenced write that was applied before the claim took effect: a
   * takeover that misses the previous owner's last step or cleanup would re-run or lose it (on
   * SQL under READ COMMITTED, a statement's snapshot can predate a write it waited for). A signal
   * (unfenced) that commits while the claim runs may be missing: it is late, not lost — `suspend`
   * checks for the awaited signal atomically, and a timeout is written under the signal's key.
   */
  claim(request: ClaimRequest): Promise<ClaimOutcome>;

  /**
   * Fenced insert-if-absent of a step record keyed by `(runId, record.key)`.
   * The first stored record wins: a second writer of the same key gets `exists` with the
   * stored record, not its own (a resent request gets `exists` with its own). On a cancelled run
   * → `cancelled`, nothing written. ONE round trip.
   */
  putStep(request: PutStepRequest): Promise<PutStepOutcome>;

  /**
   * Optional: several `putStep` requests in ONE round trip (group commit: one multi-row statement,
   * one local transaction, one script). Each request is fenced and applied on its own, exactly as
   * `putStep` applies it, in the order given (a later request sees what an earlier one wrote, so a
   * second request of the same `(runId, key)` gets `exists` with the first one's record), and
   * answered on its own, at its index: one lost lease or cancelled run fails only its own write.
   * Not atomic as a whole: when the backend fails, the call rejects, and each request is then
   * either applied whole or not at all (as a `putStep` whose reply was lost). Resolving with another
   * number of answers than requests is a broken storage. The core sends the step writes of runs
   * that are ready in the same tick through it, and uses `putStep` for a storage without it.
   */
  putSteps?(requests: readonly PutStepRequest[]): Promise<readonly PutStepOutcome[]>;

  /**
   * Fenced insert of a pending cleanup. Ids are unique in a run; a second put of the same id
   * replaces the first (the core never does that, but a resent request may). ONE round trip.
   */
  putCleanup(request: PutCleanupRequest): Promise<Fenced>;

  /**
   * Fenced delete of one pending cleanup by id (absent is fine) and, when `record` is given, an
   * insert-if-absent of that step record (as `putStep`, the first one stays), together, atomically:
   * the core records that the risky window the cleanup guarded is closed. ONE round trip.
   */
  removeCleanup(request: RemoveCleanupRequest): Promise<Fenced>;

  /**
   * Fenced and atomic: delete the cleanup `cleanupId` (absent is fine: the core passes 0 to
   * forget steps only) AND every step whose `seq` is greater than `afterSeq`. Called after that
   * cleanup ran: it may have undone what those steps did.
   */
  rollback(request: RollbackRequest): Promise<Fenced>;

  /**
   * Fenced: set the lease expiry and `updatedAt = now` (renewal, or expiry `0` to release the
   * lease while keeping the owner, so that a retry elsewhere may claim the run at once). Applied
   * on a cancelled run too (answering `cancelled`): its owner keeps the lease while it undoes.
   */
  setLease(request: SetLeaseRequest): Promise<Fenced>;

  /**
   * Fenced: set a final status, clear the owner and the lease, store `error` (or null), set
   * `updatedAt = at`, and when `dropCleanups` delete every pending cleanup. On a cancelled run
   * only `status: 'cancelled'` is applied (answering `cancelled`); any other status changes nothing.
   * Idempotent: when the owner is already cleared and the status already is `status`, resolve
   * `'ok'` and change nothing, so that a request resent after a lost reply (drivers do that)
   * does not report a completed run as lost.
   */
  finish(request: FinishRequest): Promise<Fenced>;

  /**
   * Fenced: park the run until `wakeAt` (durable sleep, waiting for a signal). Set status
   * `suspended`, clear the owner, set `updatedAt = at` and `leaseExpiresAt` to the wake time:
   * `wakeAt`, or `at` when `signalKey` is given and a step record with that key already exists
   * (the signal arrived while the run was deciding to wait). Keep steps and cleanups.
   * Resolve the wake time stored. Idempotent like `finish`: owner already cleared and status
   * already `suspended` → resolve the stored wake time and change nothing. On a cancelled run →
   * `cancelled`, nothing changed.
   */
  suspend(request: SuspendRequest): Promise<SuspendOutcome>;

  /**
   * NOT fenced (any process may signal a run): insert-if-absent of a signal record, a step
   * record with `seq` 0, so that no rollback ever removes it. First record of a key wins, as for
   * `putStep`. When the record is written and the run is `suspended`, wake the run: set its
   * `leaseExpiresAt` to `min(leaseExpiresAt, now)` (owner and status unchanged). Resolve with the
   * run's status after the write; `not-found` when the run does not exist (nothing written).
   * A record of that key already stored → `exists` with it (a resent request gets its own back).
   * Otherwise, when `maxSignals` is given and the run already holds that many signal records
   * (`seq` 0) → `full`, nothing written: senders cannot grow a run without bound. Whether the
   * run's own timeout records (`seq` 0 too, written by its owner's `putStep`) count is the
   * storage's choice: the run's own program bounds them.
   */
  putSignal(request: PutSignalRequest): Promise<PutSignalOutcome>;

  /**
   * NOT fenced: cancel the run. `running`, `suspended`, `failed` or `compensated` → status
   * `cancelled`, `updatedAt = at`; owner, lease, steps and cleanups kept. A running run's owner
   * keeps its lease: its next fenced write answers `cancelled`, and it runs the pending cleanups
   * once its running steps have ended (a cleanup must not run before the effect it undoes has
   * landed). A run with no live owner is claimed by whoever loads it next, who runs them.
   * `cancelled` or `completed` → change nothing. Resolve with the head after the change;
   * `not-found` when absent.
   */
  cancel(request: CancelRequest): Promise<CancelOutcome>;

  /** Everything stored for a run, or undefined. Changes nothing. */
  read(runId: string): Promise<RunSnapshot | undefined>;

  /**
   * Run heads matching the query, ordered by `(updatedAt, runId)` ascending, at most `limit`,
   * strictly after `after` when given. Run ids compare in the backend's own binary order (UTF-8
   * bytes for SQL, UTF-16 units in JavaScript): any total order will do, as long as `after`
   * continues exactly where a page ended.
   */
  list(query: ListQuery): Promise<readonly RunHead[]>;

  /**
   * Delete up to `limit` runs (head, steps, cleanups) whose status is in `statuses` and whose
   * `updatedAt < updatedBefore`, oldest first, and resolve how many were deleted. Each run is
   * deleted only if it still matches when it is deleted: a run claimed (or otherwise changed)
   * meanwhile is kept whole, and a claim racing the purge answers with what is stored after it
   * (a run deleted whole, then created anew; never a new head with the old records). A resent
   * purge deletes nothing the first arrival did not choose, and may answer fewer than it deleted.
   */
  purge(query: PurgeQuery): Promise<number>;

  /** Largest encoded value (bytes of UTF-8) the backend stores in one record; the core checks it. */
  readonly maxValueBytes?: number;

  /**
   * A readable prefix for the owner tokens of runs loaded through this storage (a job id), read
   * at each load; `load`'s own `ownerPrefix` option wins. The core always adds a random part.
   */
  readonly ownerPrefix?: string | undefined;

  /**
   * A liveness check for the owners of runs loaded through this storage, read at each load;
   * `load`'s own `liveness` option wins. When a run is held under a live lease by an owner this
   * check proves dead, `load` takes it over at once (see `LivenessCheck`). The Windmill package
   * asks Windmill whether the owning job has finished.
   */
  readonly liveness?: LivenessCheck | undefined;

  /**
   * Lower bounds than the core's defaults on what signals may add to one run (every signal is
   * read back by every load): how many signal records, and the encoded size of each.
   */
  readonly signalLimits?: { readonly perRun?: number; readonly bytes?: number } | undefined;
}

/** Every operation of {@link Storage}, for wrappers that must forward (or count) each one. */
export const STORAGE_OPERATIONS = [
  'claim',
  'putStep',
  'putCleanup',
  'removeCleanup',
  'rollback',
  'setLease',
  'finish',
  'suspend',
  'putSignal',
  'cancel',
  'read',
  'list',
  'purge',
] as const satisfies readonly (keyof Storage)[];

export type StorageOperation = (typeof STORAGE_OPERATIONS)[number];

/**
 * Operations a storage may lack (the core then does without them): a wrapper forwards each one
 * the wrapped storage has, and only those, so that the core sees what the backend can do.
 */
export const OPTIONAL_STORAGE_OPERATIONS = ['putSteps'] as const satisfies readonly (keyof Storage)[];

export type OptionalStorageOperation = (typeof OPTIONAL_STORAGE_OPERATIONS)[number];

/**
 * `suspended`: parked by a durable sleep or a wait for a signal, no owner, due at `leaseExpiresAt`.
 * `cancelled`: final; a load only runs its pending cleanups.
 */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Every run status, for adapters that list them (a CHECK constraint, one index per status). */
export const RUN_STATUSES = [
  'running',
  'completed',
  'failed',
  'compensated',
  'suspended',
  'cancelled',
] as const;

/** The run's row/object/hash: status and lease. */
export interface RunHead {
  readonly runId: string;
  readonly status: RunStatus;
  /** Token of the process that holds (or last held) the run; null once finished. */
  readonly owner: string | null;
  /**
   * Epoch ms; the lease is live while `now < leaseExpiresAt`. 0 when released. For a `suspended`
   * run: its wake time (list `leaseExpiredAt: now` with status `suspended` finds the runs due).
   */
  readonly leaseExpiresAt: number;
  /** How many times the run was claimed (1 on creation). */
  readonly attempt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Encoded error of a failed run, else null. */
  readonly error: string | null;
}

/**
 * A memoized step. `key` is `name#sha256(canonical(input))`; `seq` orders records of a run.
 * The core also keeps its own records here under keys no step can have (they do not end in a
 * hash): signals (`seq` 0), sleep and wait deadlines, failed attempts, the run version.
 */
export interface StepRecord {
  readonly key: string;
  readonly name: string;
  readonly seq: number;
  /** Encoded output. */
  readonly output: string;
  readonly at: number;
}

/** A pending saga cleanup, registered by `beforeRisky` before the risky operation. */
export interface CleanupRecord {
  /** Unique in the run; equal to the `seq` it was registered at. */
  readonly id: number;
  readonly name: string;
  readonly seq: number;
  /** Encoded params. */
  readonly params: string;
  readonly at: number;
}

export interface RunSnapshot {
  readonly run: RunHead;
  /** In any order; the core sorts by seq. */
  readonly steps: readonly StepRecord[];
  readonly cleanups: readonly CleanupRecord[];
}

export interface ClaimRequest {
  readonly runId: string;
  /** A token unique to this load. */
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  /** Take the run over only from exactly this owner, live lease or not; never create it. */
  readonly ifOwner?: string;
  /** With `ifOwner`: and only while that owner's lease still ends at this instant (not renewed). */
  readonly ifLeaseExpiresAt?: number;
}

export type ClaimOutcome =
  | {
      readonly kind: 'claimed';
      readonly snapshot: RunSnapshot;
      /** The status before this claim; null when the claim created the run. */
      readonly previousStatus: RunStatus | null;
    }
  | { readonly kind: 'completed'; readonly snapshot: RunSnapshot }
  | { readonly kind: 'busy'; readonly run: RunHead }
  /** Only with `ifOwner`: the run does not exist. */
  | { readonly kind: 'not-found' };

interface FencedRequest {
  readonly runId: string;
  readonly owner: string;
}

export interface PutStepRequest extends FencedRequest {
  readonly record: StepRecord;
}

export type PutStepOutcome =
  | { readonly kind: 'written' }
  | { readonly kind: 'exists'; readonly record: StepRecord }
  | { readonly kind: 'lease-lost' }
  | { readonly kind: 'cancelled' };

export interface PutCleanupRequest extends FencedRequest {
  readonly record: CleanupRecord;
}

export interface RemoveCleanupRequest extends FencedRequest {
  readonly id: number;
  /** Stored with the removal, unless a record of that key exists. */
  readonly record?: StepRecord;
}

export interface RollbackRequest extends FencedRequest {
  readonly cleanupId: number;
  readonly afterSeq: number;
}

export interface SetLeaseRequest extends FencedRequest {
  readonly leaseExpiresAt: number;
  readonly now: number;
}

export interface FinishRequest extends FencedRequest {
  readonly status: Exclude<RunStatus, 'running' | 'suspended'>;
  readonly at: number;
  readonly error: string | null;
  readonly dropCleanups: boolean;
}

/**
 * What a fenced write answers: applied; refused because another owner holds the run (or none
 * does); or the run is cancelled (see the rule at the top for what is applied then).
 */
export type Fenced = 'ok' | 'lease-lost' | 'cancelled';

export interface SuspendRequest extends FencedRequest {
  readonly at: number;
  /** Epoch ms at which the run is due again; `FOREVER` when only a signal can wake it. */
  readonly wakeAt: number;
  /** The key of the signal record the run waits for, if any. */
  readonly signalKey?: string;
}

export type SuspendOutcome =
  | { readonly kind: 'suspended'; readonly wakeAt: number }
  | { readonly kind: 'lease-lost' }
  | { readonly kind: 'cancelled' };

/** A wake time that never comes: the largest epoch ms a `Date` can hold. */
export const FOREVER = 8_640_000_000_000_000;

export interface PutSignalRequest {
  readonly runId: string;
  /** `seq` is 0. */
  readonly record: StepRecord;
  readonly now: number;
  /** Refuse (`full`) when the run already holds this many signal records. Absent: no limit. */
  readonly maxSignals?: number;
}

export type PutSignalOutcome =
  | { readonly kind: 'written'; readonly status: RunStatus }
  | { readonly kind: 'exists'; readonly record: StepRecord; readonly status: RunStatus }
  | { readonly kind: 'full'; readonly status: RunStatus }
  | { readonly kind: 'not-found' };

export interface CancelRequest {
  readonly runId: string;
  readonly at: number;
}

export type CancelOutcome =
  | { readonly kind: 'cancelled' | 'completed'; readonly run: RunHead }
  | { readonly kind: 'not-found' };

export interface ListQuery {
  readonly statuses?: readonly RunStatus[];
  /** Only runs with `updatedAt < updatedBefore`. */
  readonly updatedBefore?: number;
  /** Only runs whose lease has expired: `leaseExpiresAt <= leaseExpiredAt`. */
  readonly leaseExpiredAt?: number;
  readonly after?: { readonly updatedAt: number; readonly runId: string };
  readonly limit: number;
}

export interface PurgeQuery {
  readonly statuses: readonly RunStatus[];
  readonly updatedBefore: number;
  readonly limit: number;
}
