import type {
  CancelRequest,
  ClaimRequest,
  Fenced,
  FinishRequest,
  RunHead,
  RunStatus,
  SuspendOutcome,
  SuspendRequest,
} from '@td7x/durable-x';
import {
  blobsOf,
  FORMAT,
  headOf,
  type RunDocument,
  type StoredCleanup,
  type StoredStep,
} from './document.ts';
import type { Change } from './documents.ts';

/**
 * The storage contract's mutations as pure functions of the run document: the same rules as the
 * core's memory storage (`contract.ts`), decided on the document whose ETag the resulting PUT is
 * conditional on. A change decided again after a lost answer (README "Guarantees") must answer
 * what its first decision answered: each is idempotent, and an insert knows its own record.
 */

export type ClaimDecision =
  | { readonly kind: 'claimed'; readonly previousStatus: RunStatus | null }
  | { readonly kind: 'completed' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'not-found' };

export const claim =
  (
    { runId, owner, now, leaseMs, ifOwner, ifLeaseExpiresAt }: ClaimRequest,
    incarnation: string,
  ): Change<ClaimDecision> =>
  (doc) => {
    if (!doc) {
      if (ifOwner !== undefined) return { outcome: { kind: 'not-found' } };
      return {
        outcome: { kind: 'claimed', previousStatus: null },
        next: {
          format: FORMAT,
          runId,
          incarnation,
          status: 'running',
          owner,
          claimedFrom: null,
          leaseExpiresAt: now + leaseMs,
          attempt: 1,
          createdAt: now,
          updatedAt: now,
          error: null,
          steps: [],
          cleanups: [],
        },
      };
    }
    if (doc.status === 'completed') return { outcome: { kind: 'completed' } };
    // Owner tokens are unique per load: this very claim arrived before (a resend).
    if (doc.owner === owner) return { outcome: { kind: 'claimed', previousStatus: doc.claimedFrom } };
    const free =
      ifOwner === undefined
        ? doc.owner === null || doc.leaseExpiresAt <= now
        : doc.owner === ifOwner &&
          (ifLeaseExpiresAt === undefined || doc.leaseExpiresAt === ifLeaseExpiresAt);
    if (!free) return { outcome: { kind: 'busy' } };
    return {
      outcome: { kind: 'claimed', previousStatus: doc.status },
      next: {
        ...doc,
        // A cancelled run stays cancelled: its new owner only runs its cleanups.
        status: doc.status === 'cancelled' ? 'cancelled' : 'running',
        owner,
        claimedFrom: doc.status,
        leaseExpiresAt: now + leaseMs,
        attempt: doc.attempt + 1,
        updatedAt: now,
      },
    };
  };

/**
 * Applies `apply` only while `owner` holds the run; otherwise `lease-lost` and no write. On a
 * cancelled run only the writes that run its cleanups (`undoing`) are applied, answering
 * `cancelled` either way (`contract.ts`, "Fenced").
 */
const fenced =
  (owner: string, apply: (doc: RunDocument) => RunDocument, undoing = false): Change<Fenced> =>
  (doc) => {
    if (!doc || doc.owner !== owner) return { outcome: 'lease-lost' };
    const cancelled = doc.status === 'cancelled';
    if (cancelled && !undoing) return { outcome: 'cancelled' };
    const next = apply(doc);
    return { outcome: cancelled ? 'cancelled' : 'ok', next, garbage: droppedBlobs(doc, next) };
  };

/** A value uploaded for another incarnation of the run (purged and created again meanwhile). */
const otherIncarnation = (doc: RunDocument | undefined, incarnation: string | undefined): boolean =>
  incarnation !== undefined && doc !== undefined && doc.incarnation !== incarnation;

export type StepDecision =
  | { readonly kind: 'written' }
  | { readonly kind: 'exists'; readonly step: StoredStep }
  | { readonly kind: 'lease-lost' }
  | { readonly kind: 'cancelled' };

/**
 * `step.w` is random per call: finding a record of the key with it means this call's own write
 * landed (its answer was lost), so it answers `written` again. `incarnation`: the run an
 * out-of-line value was uploaded for.
 */
export const putStep =
  (owner: string, step: StoredStep, incarnation?: string): Change<StepDecision> =>
  (doc) => {
    if (!doc || doc.owner !== owner || otherIncarnation(doc, incarnation)) {
      return { outcome: { kind: 'lease-lost' } };
    }
    const existing = doc.steps.find((s) => s.key === step.key);
    if (existing && existing.w !== undefined && existing.w === step.w)
      return { outcome: { kind: 'written' } };
    if (doc.status === 'cancelled') return { outcome: { kind: 'cancelled' } };
    if (existing) return { outcome: { kind: 'exists', step: existing } };
    return { outcome: { kind: 'written' }, next: { ...doc, steps: [...doc.steps, step] } };
  };

export const putCleanup = (owner: string, cleanup: StoredCleanup, incarnation?: string): Change<Fenced> => {
  const apply = fenced(owner, (doc) => ({
    ...doc,
    cleanups: [...doc.cleanups.filter((c) => c.id !== cleanup.id), cleanup],
  }));
  return (doc) => (otherIncarnation(doc, incarnation) ? { outcome: 'lease-lost' } : apply(doc));
};

/** The cleanup goes; the record that its window is closed, if given, is kept unless its key exists. */
export const removeCleanup = (
  owner: string,
  id: number,
  step?: StoredStep,
  incarnation?: string,
): Change<Fenced> => {
  const apply = fenced(owner, (doc) => ({
    ...doc,
    cleanups: doc.cleanups.filter((c) => c.id !== id),
    steps: step === undefined || doc.steps.some((s) => s.key === step.key) ? doc.steps : [...doc.steps, step],
  }));
  return (doc) => (otherIncarnation(doc, incarnation) ? { outcome: 'lease-lost' } : apply(doc));
};

/** The cleanup and every later step go in the same PUT: a crash leaves all or nothing. */
export const rollback = (owner: string, cleanupId: number, afterSeq: number): Change<Fenced> =>
  fenced(
    owner,
    (doc) => ({
      ...doc,
      cleanups: doc.cleanups.filter((c) => c.id !== cleanupId),
      steps: doc.steps.filter((s) => s.seq <= afterSeq),
    }),
    true,
  );

export const setLease = (owner: string, leaseExpiresAt: number, now: number): Change<Fenced> =>
  fenced(owner, (doc) => ({ ...doc, leaseExpiresAt, updatedAt: now }), true);

/** Idempotent: a finish resent after a lost answer finds the run already in that state: 'ok', no write. */
export const finish = ({ owner, status, at, error, dropCleanups }: FinishRequest): Change<Fenced> => {
  const apply = fenced(
    owner,
    (doc) => ({
      ...doc,
      status: status as RunStatus,
      owner: null,
      claimedFrom: null,
      leaseExpiresAt: 0,
      updatedAt: at,
      error,
      cleanups: dropCleanups ? [] : doc.cleanups,
    }),
    status === 'cancelled',
  );
  return (doc) => (doc && doc.owner === null && doc.status === status ? { outcome: 'ok' } : apply(doc));
};

/**
 * Parks the run until its wake time (`at` when the awaited signal is already in the document).
 * Idempotent like `finish`: a resend that finds the run parked answers the stored wake time.
 */
export const suspend =
  ({ owner, at, wakeAt, signalKey }: SuspendRequest): Change<SuspendOutcome> =>
  (doc) => {
    if (doc && doc.owner === null && doc.status === 'suspended') {
      return { outcome: { kind: 'suspended', wakeAt: doc.leaseExpiresAt } };
    }
    if (!doc || doc.owner !== owner) return { outcome: { kind: 'lease-lost' } };
    if (doc.status === 'cancelled') return { outcome: { kind: 'cancelled' } };
    const signalled = signalKey !== undefined && doc.steps.some((s) => s.key === signalKey);
    const due = signalled ? at : wakeAt;
    return {
      outcome: { kind: 'suspended', wakeAt: due },
      next: {
        ...doc,
        status: 'suspended',
        owner: null,
        claimedFrom: null,
        leaseExpiresAt: due,
        updatedAt: at,
      },
    };
  };

export type SignalDecision =
  | { readonly kind: 'written'; readonly status: RunStatus }
  | { readonly kind: 'exists'; readonly step: StoredStep; readonly status: RunStatus }
  | { readonly kind: 'full'; readonly status: RunStatus }
  | { readonly kind: 'not-found' }
  /** The run was purged and created again after the out-of-line value was uploaded for it. */
  | { readonly kind: 'other-incarnation' };

/**
 * Not fenced: first signal of a key wins whoever sends it (its own record, `step.w`, answers
 * `written` again). Past `maxSignals` signal records a new one is refused (`full`). Writing it
 * wakes a parked run (its wake time becomes `now` unless already earlier); a running run's owner
 * and lease are left alone.
 */
export const putSignal =
  (step: StoredStep, now: number, maxSignals?: number, incarnation?: string): Change<SignalDecision> =>
  (doc) => {
    if (!doc) return { outcome: { kind: 'not-found' } };
    const existing = doc.steps.find((s) => s.key === step.key);
    if (existing && existing.w !== undefined && existing.w === step.w) {
      return { outcome: { kind: 'written', status: doc.status } };
    }
    if (existing) return { outcome: { kind: 'exists', step: existing, status: doc.status } };
    if (maxSignals !== undefined && signalCount(doc) >= maxSignals) {
      return { outcome: { kind: 'full', status: doc.status } };
    }
    if (otherIncarnation(doc, incarnation)) return { outcome: { kind: 'other-incarnation' } };
    const woken = doc.status === 'suspended' ? Math.min(doc.leaseExpiresAt, now) : doc.leaseExpiresAt;
    return {
      outcome: { kind: 'written', status: doc.status },
      next: { ...doc, leaseExpiresAt: woken, steps: [...doc.steps, step] },
    };
  };

export type CancelDecision =
  | { readonly kind: 'cancelled' | 'completed'; readonly run: RunHead }
  | { readonly kind: 'not-found' };

/**
 * Not fenced. The owner keeps its lease: its next fenced write answers `cancelled`, and it runs
 * the cleanups once its running steps have ended (`contract.ts`, `cancel`).
 */
export const cancel =
  ({ at }: CancelRequest): Change<CancelDecision> =>
  (doc) => {
    if (!doc) return { outcome: { kind: 'not-found' } };
    if (doc.status === 'completed') return { outcome: { kind: 'completed', run: headOf(doc) } };
    if (doc.status === 'cancelled') return { outcome: { kind: 'cancelled', run: headOf(doc) } };
    const next: RunDocument = { ...doc, status: 'cancelled', updatedAt: at };
    return { outcome: { kind: 'cancelled', run: headOf(next) }, next };
  };

/** Signal records (`seq` 0) of the run: what `maxSignals` bounds. */
export const signalCount = (doc: RunDocument): number => {
  let count = 0;
  for (const step of doc.steps) if (step.seq === 0) count++;
  return count;
};

const droppedBlobs = (before: RunDocument, after: RunDocument): string[] => {
  const kept = new Set(blobsOf(after.steps, after.cleanups));
  return blobsOf(before.steps, before.cleanups).filter((b) => !kept.has(b));
};
