import type {
  CancelOutcome,
  CancelRequest,
  ClaimOutcome,
  ClaimRequest,
  Fenced,
  FinishRequest,
  ListQuery,
  PurgeQuery,
  PutSignalOutcome,
  PutSignalRequest,
  PutStepOutcome,
  PutStepRequest,
  RunHead,
  RunSnapshot,
  SuspendOutcome,
  SuspendRequest,
} from '@td7x/durable-x';
import type { QueryShape, Statements, shapedQuery } from './statements.ts';

// The body of each contract method, run inside the transaction that storage.ts opens for it.

export const snapshotOf = (s: Statements, run: RunHead): RunSnapshot => ({
  run,
  steps: s.steps.all(run.runId),
  cleanups: s.cleanups.all(run.runId),
});

export const claim = (s: Statements, { runId, owner, now, leaseMs }: ClaimRequest): ClaimOutcome => {
  const leaseExpiresAt = now + leaseMs;
  const head = s.head.get(runId);
  if (!head) {
    s.createRun.run({ runId, owner, leaseExpiresAt, now });
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
  if (head.status === 'completed') return { kind: 'completed', snapshot: snapshotOf(s, head) };
  const free = head.owner === null || head.leaseExpiresAt <= now || head.owner === owner;
  if (!free) return { kind: 'busy', run: head };
  s.takeOver.run({ runId, owner, leaseExpiresAt, now });
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

/** Runs `change` only while `owner` holds the run (inside the caller's transaction). */
export const fenced = (s: Statements, runId: string, owner: string, change: () => void): Fenced => {
  if (s.owner.get(runId)?.owner !== owner) return 'lease-lost';
  change();
  return 'ok';
};

export const putStep = (s: Statements, { runId, owner, record }: PutStepRequest): PutStepOutcome => {
  if (s.owner.get(runId)?.owner !== owner) return { kind: 'lease-lost' };
  const { changes } = s.insertStep.run(runId, record.key, record.name, record.seq, record.output, record.at);
  if (changes === 1) return { kind: 'written' };
  // The first stored record wins; it exists, since we hold the write lock since the insert.
  return { kind: 'exists', record: s.step.get(runId, record.key)! };
};

export const finish = (
  s: Statements,
  { runId, owner, status, at, error, dropCleanups }: FinishRequest,
): Fenced => {
  if (s.finish.run({ runId, owner, status, at, error }).changes !== 1) {
    // A resent finish (its first reply lost) must not report a finished run as lost.
    return s.isFinished.get(runId, status) === undefined ? 'lease-lost' : 'ok';
  }
  if (dropCleanups) s.deleteCleanups.run(runId);
  return 'ok';
};

export const suspend = (
  s: Statements,
  { runId, owner, at, wakeAt, signalKey }: SuspendRequest,
): SuspendOutcome => {
  const parked = s.suspend.get({ runId, owner, at, wakeAt, signalKey: signalKey ?? null });
  if (parked) return { kind: 'suspended', wakeAt: parked.wakeAt };
  // A resent suspend (its first reply lost) finds the run parked already: same answer, no change.
  const stored = s.suspendedWake.get(runId);
  return stored ? { kind: 'suspended', wakeAt: stored.wakeAt } : { kind: 'lease-lost' };
};

/** putStep's first-writer-wins without the fence: any process may signal a run. */
export const putSignal = (s: Statements, { runId, record, now }: PutSignalRequest): PutSignalOutcome => {
  const head = s.status.get(runId);
  if (!head) return { kind: 'not-found' };
  const { changes } = s.insertStep.run(runId, record.key, record.name, record.seq, record.output, record.at);
  if (changes !== 1) return { kind: 'exists', record: s.step.get(runId, record.key)!, status: head.status };
  s.wake.run({ runId, now });
  return { kind: 'written', status: head.status };
};

export const cancel = (s: Statements, { runId, at }: CancelRequest): CancelOutcome => {
  s.cancel.run({ runId, at });
  const run = s.head.get(runId);
  if (!run) return { kind: 'not-found' };
  return { kind: run.status === 'completed' ? 'completed' : 'cancelled', run };
};

export type Shaped = ReturnType<typeof shapedQuery>;

export const list = (shaped: Shaped, query: ListQuery): readonly RunHead[] => {
  const statuses = [...new Set(query.statuses ?? [])];
  if (query.statuses !== undefined && statuses.length === 0) return [];
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
