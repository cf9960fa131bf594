import type {
  CancelOutcome,
  CancelRequest,
  ClaimOutcome,
  ClaimRequest,
  Fenced,
  FinishRequest,
  ListQuery,
  PurgeQuery,
  PutCleanupRequest,
  PutSignalOutcome,
  PutSignalRequest,
  PutStepOutcome,
  PutStepRequest,
  RemoveCleanupRequest,
  RollbackRequest,
  RunHead,
  RunSnapshot,
  RunStatus,
  SetLeaseRequest,
  SuspendOutcome,
  SuspendRequest,
} from '@td7x/durable-x';
import type { QueryShape, Statements, shapedQuery } from './statements.ts';

// The body of each contract method (see contract.ts in @td7x/durable-x), run inside the one
// transaction that storage.ts opens for it: every read here sees what the write after it changes.
// "No row" is tested as `!row` (a row is an object): drivers answer undefined or null for it.

export const snapshotOf = (s: Statements, run: RunHead): RunSnapshot => ({
  run,
  steps: s.steps.all(run.runId),
  cleanups: s.cleanups.all(run.runId),
});

export const read = (s: Statements, runId: string): RunSnapshot | undefined => {
  const head = s.head.get(runId);
  return head ? snapshotOf(s, head) : undefined;
};

export const claim = (
  s: Statements,
  { runId, owner, now, leaseMs, ifOwner, ifLeaseExpiresAt }: ClaimRequest,
): ClaimOutcome => {
  const leaseExpiresAt = now + leaseMs;
  const stored = s.claimHead.get(runId);
  if (!stored) {
    // ifOwner takes over one owner's run: it never creates one.
    if (ifOwner !== undefined) return { kind: 'not-found' };
    s.createRun.run(runId, owner, leaseExpiresAt, now, now);
    const run: RunHead = {
      runId,
      status: 'running',
      owner,
      leaseExpiresAt,
      attempt: 1,
      createdAt: now,
      updatedAt: now,
      error: null,
    };
    return { kind: 'claimed', snapshot: { run, steps: [], cleanups: [] }, previousStatus: null };
  }
  const { claimedFrom, ...head } = stored;
  if (head.status === 'completed') return { kind: 'completed', snapshot: snapshotOf(s, head) };
  // Owner tokens are unique per load: this very claim arrived twice. Answer as the first did.
  if (head.owner === owner)
    return { kind: 'claimed', snapshot: snapshotOf(s, head), previousStatus: claimedFrom };
  // ifOwner: exactly the run the caller saw (that owner, and a lease not renewed since if given).
  const free =
    ifOwner === undefined
      ? head.owner === null || head.leaseExpiresAt <= now
      : head.owner === ifOwner &&
        (ifLeaseExpiresAt === undefined || head.leaseExpiresAt === ifLeaseExpiresAt);
  if (!free) return { kind: 'busy', run: head };
  s.takeOver.run(owner, leaseExpiresAt, now, runId);
  const run: RunHead = {
    ...head,
    status: head.status === 'cancelled' ? 'cancelled' : 'running',
    owner,
    leaseExpiresAt,
    attempt: head.attempt + 1,
    updatedAt: now,
  };
  return { kind: 'claimed', snapshot: snapshotOf(s, run), previousStatus: head.status };
};

type Fence = Pick<RunHead, 'owner' | 'status'>;

/**
 * Whether `owner` may write to the run: `lease-lost` when another owner (or none) holds it or it
 * is absent; `cancelled` when the owner holds a cancelled run (only undoing is applied then).
 */
const verdict = (head: Fence | null | undefined, owner: string): Fenced => {
  if (!head || head.owner !== owner) return 'lease-lost';
  return head.status === 'cancelled' ? 'cancelled' : 'ok';
};

const fence = (s: Statements, runId: string, owner: string): Fenced => verdict(s.fence.get(runId), owner);

/** A fenced write that makes progress: on a cancelled run it changes nothing. */
const progress = (allowed: Fenced, change: () => void): Fenced => {
  if (allowed === 'ok') change();
  return allowed;
};

/** A fenced write that undoes (runs a cancelled run's cleanups): applied on a cancelled run too. */
const undoing = (allowed: Fenced, change: () => void): Fenced => {
  if (allowed !== 'lease-lost') change();
  return allowed;
};

export const putStep = (s: Statements, { runId, owner, record }: PutStepRequest): PutStepOutcome => {
  const allowed = fence(s, runId, owner);
  if (allowed !== 'ok') return { kind: allowed };
  const changes = s.insertStep.run(runId, record.key, record.name, record.seq, record.output, record.at);
  if (changes === 1) return { kind: 'written' };
  // The first stored record wins; it exists, since we hold the write lock since the insert.
  return { kind: 'exists', record: s.step.get(runId, record.key)! };
};

export const putCleanup = (s: Statements, { runId, owner, record }: PutCleanupRequest): Fenced =>
  progress(fence(s, runId, owner), () =>
    s.putCleanup.run(runId, record.id, record.name, record.seq, record.params, record.at),
  );

/** The cleanup goes, and the record that its window is closed, if given, unless its key exists. */
export const removeCleanup = (s: Statements, { runId, owner, id, record }: RemoveCleanupRequest): Fenced =>
  progress(fence(s, runId, owner), () => {
    s.removeCleanup.run(runId, id);
    if (record) s.insertStep.run(runId, record.key, record.name, record.seq, record.output, record.at);
  });

export const rollback = (s: Statements, { runId, owner, cleanupId, afterSeq }: RollbackRequest): Fenced =>
  undoing(fence(s, runId, owner), () => {
    s.removeCleanup.run(runId, cleanupId);
    s.forgetStepsAfter.run(runId, afterSeq);
  });

export const setLease = (s: Statements, { runId, owner, leaseExpiresAt, now }: SetLeaseRequest): Fenced =>
  undoing(fence(s, runId, owner), () => s.setLease.run(leaseExpiresAt, now, runId));

export const finish = (
  s: Statements,
  { runId, owner, status, at, error, dropCleanups }: FinishRequest,
): Fenced => {
  const head = s.fence.get(runId);
  // A resent finish (its first reply lost) must not report a finished run as lost.
  if (head && head.owner === null && head.status === status) return 'ok';
  const change = () => {
    s.finish.run(status, at, error, runId);
    if (dropCleanups) s.deleteCleanups.run(runId);
  };
  // Finishing as cancelled is how the owner of a cancelled run ends it, once its cleanups ran.
  const allowed = verdict(head, owner);
  return status === 'cancelled' ? undoing(allowed, change) : progress(allowed, change);
};

export const suspend = (
  s: Statements,
  { runId, owner, at, wakeAt, signalKey }: SuspendRequest,
): SuspendOutcome => {
  const head = s.head.get(runId);
  // A resent suspend (its first reply lost) finds the run parked already: same answer, no change.
  if (head && head.owner === null && head.status === 'suspended') {
    return { kind: 'suspended', wakeAt: head.leaseExpiresAt };
  }
  const allowed = verdict(head, owner);
  if (allowed !== 'ok') return { kind: allowed };
  const parked = s.suspend.get(at, runId, signalKey ?? null, at, wakeAt, runId)!;
  return { kind: 'suspended', wakeAt: parked.wakeAt };
};

/** putStep's first-writer-wins without the fence: any process may signal a run. */
export const putSignal = (
  s: Statements,
  { runId, record, now, maxSignals }: PutSignalRequest,
): PutSignalOutcome => {
  const head = s.status.get(runId);
  if (!head) return { kind: 'not-found' };
  // A stored record of the key is answered even past the limit (a resent signal gets its own).
  const existing = s.step.get(runId, record.key);
  if (existing) return { kind: 'exists', record: existing, status: head.status };
  if (maxSignals !== undefined && s.signalCount.get(runId)!.count >= maxSignals) {
    return { kind: 'full', status: head.status };
  }
  s.insertStep.run(runId, record.key, record.name, record.seq, record.output, record.at);
  s.wake.run(now, runId);
  return { kind: 'written', status: head.status };
};

export const cancel = (s: Statements, { runId, at }: CancelRequest): CancelOutcome => {
  s.cancel.run(at, runId);
  const run = s.head.get(runId);
  if (!run) return { kind: 'not-found' };
  return { kind: run.status === 'completed' ? 'completed' : 'cancelled', run };
};

export type Shaped = ReturnType<typeof shapedQuery>;

/**
 * How many runs whose lease ended a page may look at through the lease index before the age
 * index is the better way (per run of the page).
 */
const DUE_CAP_PER_ROW = 10;

export const list = (shaped: Shaped, query: ListQuery): readonly RunHead[] => {
  const statuses = [...new Set(query.statuses ?? [])];
  if (query.statuses !== undefined && statuses.length === 0) return [];
  // The due runs of one status (findDue, findAbandoned): few of them among many that wait (100 000
  // sleepers not due yet) are read through the lease index, at most `cap`, then ordered; when there
  // are more, the age index finds a page of them at once. Either way a page costs what it returns.
  if (statuses.length === 1 && query.leaseExpiredAt !== undefined && query.updatedBefore === undefined) {
    const cap = query.limit * DUE_CAP_PER_ROW;
    const after = query.after === undefined ? [] : [query.after.updatedAt, query.after.runId];
    const status = statuses[0] as RunStatus;
    const few = shaped.dueByLease(query.after !== undefined).all(status, query.leaseExpiredAt, ...after, cap);
    if (few.length < cap) return few.slice(0, query.limit);
    return shaped
      .dueByAge(query.after !== undefined)
      .all(status, query.leaseExpiredAt, ...after, query.limit);
  }
  const shape: QueryShape = {
    statuses: statuses.length,
    updatedBefore: query.updatedBefore !== undefined,
    leaseExpiredAt: query.leaseExpiredAt !== undefined,
    after: query.after !== undefined,
  };
  const params = [
    ...statuses,
    ...(query.updatedBefore === undefined ? [] : [query.updatedBefore]),
    ...(query.leaseExpiredAt === undefined ? [] : [query.leaseExpiredAt]),
    ...(query.after === undefined ? [] : [query.after.updatedAt, query.after.runId]),
    query.limit,
  ];
  return shaped.heads(shape).all(...params);
};

/**
 * The selection and the deletes are one IMMEDIATE transaction: no claim can land between them,
 * so every run deleted still matched the query, and is deleted whole.
 */
export const purge = (
  s: Statements,
  shaped: Shaped,
  { statuses, updatedBefore, limit }: PurgeQuery,
): number => {
  const unique = [...new Set(statuses)];
  if (unique.length === 0) return 0;
  const shape = { statuses: unique.length, updatedBefore: true, leaseExpiredAt: false, after: false };
  const doomed = shaped.runIds(shape).all(...unique, updatedBefore, limit);
  for (const { runId } of doomed) {
    s.deleteSteps.run(runId);
    s.deleteCleanups.run(runId);
    s.deleteRun.run(runId);
  }
  return doomed.length;
};
