import type { ClaimRequest, Fenced, FinishRequest, RunStatus } from '@td7x/durable-x';
import { blobsOf, FORMAT, type RunDocument, type StoredCleanup, type StoredStep } from './document.ts';
import type { Change } from './documents.ts';

/**
 * The storage contract's mutations as pure functions of the run document: the same rules as the
 * core's memory storage, decided on the document whose ETag the resulting PUT is conditional on.
 */

export type ClaimDecision = 'claimed' | 'completed' | 'busy';

export const claim =
  ({ runId, owner, now, leaseMs }: ClaimRequest, incarnation: string): Change<ClaimDecision> =>
  (doc) => {
    if (!doc) {
      return {
        outcome: 'claimed',
        next: {
          format: FORMAT,
          runId,
          incarnation,
          status: 'running',
          owner,
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
    if (doc.status === 'completed') return { outcome: 'completed' };
    const free = doc.owner === null || doc.leaseExpiresAt <= now || doc.owner === owner;
    if (!free) return { outcome: 'busy' };
    return {
      outcome: 'claimed',
      next: {
        ...doc,
        status: 'running',
        owner,
        leaseExpiresAt: now + leaseMs,
        attempt: doc.attempt + 1,
        updatedAt: now,
      },
    };
  };

/** Applies `apply` only while `owner` holds the run; otherwise `lease-lost` and no write. */
const fenced =
  (owner: string, apply: (doc: RunDocument) => RunDocument): Change<Fenced> =>
  (doc) => {
    if (!doc || doc.owner !== owner) return { outcome: 'lease-lost' };
    const next = apply(doc);
    return { outcome: 'ok', next, garbage: droppedBlobs(doc, next) };
  };

export type StepDecision =
  | { readonly kind: 'written' }
  | { readonly kind: 'exists'; readonly step: StoredStep }
  | { readonly kind: 'lease-lost' };

/** `incarnation`: the run a value was uploaded for; a purged and re-created run is another run. */
export const putStep =
  (owner: string, step: StoredStep, incarnation?: string): Change<StepDecision> =>
  (doc) => {
    if (!doc || doc.owner !== owner || (incarnation !== undefined && doc.incarnation !== incarnation)) {
      return { outcome: { kind: 'lease-lost' } };
    }
    const existing = doc.steps.find((s) => s.key === step.key);
    if (existing) return { outcome: { kind: 'exists', step: existing } };
    return { outcome: { kind: 'written' }, next: { ...doc, steps: [...doc.steps, step] } };
  };

export const putCleanup = (owner: string, cleanup: StoredCleanup, incarnation?: string): Change<Fenced> => {
  const apply = fenced(owner, (doc) => ({
    ...doc,
    cleanups: [...doc.cleanups.filter((c) => c.id !== cleanup.id), cleanup],
  }));
  return (doc) =>
    incarnation !== undefined && doc && doc.incarnation !== incarnation
      ? { outcome: 'lease-lost' }
      : apply(doc);
};

export const removeCleanup = (owner: string, id: number): Change<Fenced> =>
  fenced(owner, (doc) => ({ ...doc, cleanups: doc.cleanups.filter((c) => c.id !== id) }));

/** The cleanup and every later step go in the same PUT: a crash leaves all or nothing. */
export const rollback = (owner: string, cleanupId: number, afterSeq: number): Change<Fenced> =>
  fenced(owner, (doc) => ({
    ...doc,
    cleanups: doc.cleanups.filter((c) => c.id !== cleanupId),
    steps: doc.steps.filter((s) => s.seq <= afterSeq),
  }));

export const setLease = (owner: string, leaseExpiresAt: number, now: number): Change<Fenced> =>
  fenced(owner, (doc) => ({ ...doc, leaseExpiresAt, updatedAt: now }));

/** Idempotent: a finish resent after a lost answer finds the run already in that state: 'ok', no write. */
export const finish = ({ owner, status, at, error, dropCleanups }: FinishRequest): Change<Fenced> => {
  const apply = fenced(owner, (doc) => ({
    ...doc,
    status: status as RunStatus,
    owner: null,
    leaseExpiresAt: 0,
    updatedAt: at,
    error,
    cleanups: dropCleanups ? [] : doc.cleanups,
  }));
  return (doc) => (doc && doc.owner === null && doc.status === status ? { outcome: 'ok' } : apply(doc));
};

const droppedBlobs = (before: RunDocument, after: RunDocument): string[] => {
  const kept = new Set(blobsOf(after.steps, after.cleanups));
  return blobsOf(before.steps, before.cleanups).filter((b) => !kept.has(b));
};
