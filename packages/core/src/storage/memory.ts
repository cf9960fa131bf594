import type {
  ClaimOutcome,
  CleanupRecord,
  Fenced,
  ListQuery,
  PutStepOutcome,
  PutStepRequest,
  RunHead,
  RunSnapshot,
  RunStatus,
  StepRecord,
  Storage,
} from './contract.ts';

interface MemoryRun {
  head: RunHead;
  /** The `previousStatus` the current owner's claim answered, for a resent claim. */
  claimedFrom: RunStatus | null;
  steps: Map<string, StepRecord>;
  cleanups: Map<number, CleanupRecord>;
}

/** The backing data of {@link memoryStorage}; share it between instances to model a restart. */
export type MemoryData = Map<string, MemoryRun>;

export const createMemoryData = (): MemoryData => new Map();

/**
 * An in-process storage for tests and trials. It is the executable reference of the storage
 * contract: each method is atomic because it runs to completion without awaiting.
 * Nothing survives the process, so it gives no crash recovery.
 */
export const memoryStorage = (options: { data?: MemoryData } = {}): Storage => {
  const runs = options.data ?? createMemoryData();

  const snapshot = (run: MemoryRun): RunSnapshot => ({
    run: { ...run.head },
    steps: [...run.steps.values()].map((s) => ({ ...s })),
    cleanups: [...run.cleanups.values()].map((c) => ({ ...c })),
  });

  /**
   * Runs `change` only while `owner` holds the run. On a cancelled run only the writes that run
   * its cleanups (`undoing`) are applied, and the answer says `cancelled` either way.
   */
  const fenced = (
    runId: string,
    owner: string,
    change: (run: MemoryRun) => void,
    undoing = false,
  ): Fenced => {
    const run = runs.get(runId);
    if (!run || run.head.owner !== owner) return 'lease-lost';
    const cancelled = run.head.status === 'cancelled';
    if (!cancelled || undoing) change(run);
    return cancelled ? 'cancelled' : 'ok';
  };

  const putStep = ({ runId, owner, record }: PutStepRequest): PutStepOutcome => {
    const run = runs.get(runId);
    if (!run || run.head.owner !== owner) return { kind: 'lease-lost' };
    if (run.head.status === 'cancelled') return { kind: 'cancelled' };
    const existing = run.steps.get(record.key);
    if (existing) return { kind: 'exists', record: { ...existing } };
    run.steps.set(record.key, { ...record });
    return { kind: 'written' };
  };

  return {
    name: 'memory',

    async claim({ runId, owner, now, leaseMs, ifOwner, ifLeaseExpiresAt }): Promise<ClaimOutcome> {
      const run = runs.get(runId);
      if (!run) {
        if (ifOwner !== undefined) return { kind: 'not-found' };
        const head: RunHead = {
          runId,
          status: 'running',
          owner,
          leaseExpiresAt: now + leaseMs,
          attempt: 1,
          createdAt: now,
          updatedAt: now,
          error: null,
        };
        const created: MemoryRun = { head, claimedFrom: null, steps: new Map(), cleanups: new Map() };
        runs.set(runId, created);
        return { kind: 'claimed', snapshot: snapshot(created), previousStatus: null };
      }
      const { head } = run;
      if (head.status === 'completed') return { kind: 'completed', snapshot: snapshot(run) };
      if (head.owner === owner)
        return { kind: 'claimed', snapshot: snapshot(run), previousStatus: run.claimedFrom };
      const free =
        ifOwner === undefined
          ? head.owner === null || head.leaseExpiresAt <= now
          : head.owner === ifOwner &&
            (ifLeaseExpiresAt === undefined || head.leaseExpiresAt === ifLeaseExpiresAt);
      if (!free) return { kind: 'busy', run: { ...head } };
      run.claimedFrom = head.status;
      run.head = {
        ...head,
        status: head.status === 'cancelled' ? 'cancelled' : 'running',
        owner,
        leaseExpiresAt: now + leaseMs,
        attempt: head.attempt + 1,
        updatedAt: now,
      };
      return { kind: 'claimed', snapshot: snapshot(run), previousStatus: head.status };
    },

    async putStep(request) {
      return putStep(request);
    },

    async putSteps(requests) {
      return requests.map(putStep);
    },

    async putCleanup({ runId, owner, record }) {
      return fenced(runId, owner, (run) => run.cleanups.set(record.id, { ...record }));
    },

    async removeCleanup({ runId, owner, id, record }) {
      return fenced(runId, owner, (run) => {
        run.cleanups.delete(id);
        if (record && !run.steps.has(record.key)) run.steps.set(record.key, { ...record });
      });
    },

    async rollback({ runId, owner, cleanupId, afterSeq }) {
      return fenced(
        runId,
        owner,
        (run) => {
          run.cleanups.delete(cleanupId);
          for (const [key, step] of run.steps) if (step.seq > afterSeq) run.steps.delete(key);
        },
        true,
      );
    },

    async setLease({ runId, owner, leaseExpiresAt, now }) {
      return fenced(
        runId,
        owner,
        (run) => {
          run.head = { ...run.head, leaseExpiresAt, updatedAt: now };
        },
        true,
      );
    },

    async finish({ runId, owner, status, at, error, dropCleanups }) {
      const head = runs.get(runId)?.head;
      if (head && head.owner === null && head.status === status) return 'ok';
      return fenced(
        runId,
        owner,
        (run) => {
          run.head = { ...run.head, status, owner: null, leaseExpiresAt: 0, updatedAt: at, error };
          run.claimedFrom = null;
          if (dropCleanups) run.cleanups.clear();
        },
        status === 'cancelled',
      );
    },

    async suspend({ runId, owner, at, wakeAt, signalKey }) {
      const run = runs.get(runId);
      if (run && run.head.owner === null && run.head.status === 'suspended') {
        return { kind: 'suspended', wakeAt: run.head.leaseExpiresAt };
      }
      if (!run || run.head.owner !== owner) return { kind: 'lease-lost' };
      if (run.head.status === 'cancelled') return { kind: 'cancelled' };
      const due = signalKey !== undefined && run.steps.has(signalKey) ? at : wakeAt;
      run.head = { ...run.head, status: 'suspended', owner: null, leaseExpiresAt: due, updatedAt: at };
      run.claimedFrom = null;
      return { kind: 'suspended', wakeAt: due };
    },

    async putSignal({ runId, record, now, maxSignals }) {
      const run = runs.get(runId);
      if (!run) return { kind: 'not-found' };
      const existing = run.steps.get(record.key);
      if (existing) return { kind: 'exists', record: { ...existing }, status: run.head.status };
      if (maxSignals !== undefined && signalCount(run) >= maxSignals) {
        return { kind: 'full', status: run.head.status };
      }
      run.steps.set(record.key, { ...record });
      if (run.head.status === 'suspended') {
        run.head = { ...run.head, leaseExpiresAt: Math.min(run.head.leaseExpiresAt, now) };
      }
      return { kind: 'written', status: run.head.status };
    },

    async cancel({ runId, at }) {
      const run = runs.get(runId);
      if (!run) return { kind: 'not-found' };
      if (run.head.status === 'completed') return { kind: 'completed', run: { ...run.head } };
      if (run.head.status !== 'cancelled') {
        run.head = { ...run.head, status: 'cancelled', updatedAt: at };
      }
      return { kind: 'cancelled', run: { ...run.head } };
    },

    async read(runId) {
      const run = runs.get(runId);
      return run ? snapshot(run) : undefined;
    },

    async list(query) {
      return [...runs.values()]
        .map((r) => r.head)
        .filter((head) => matches(head, query))
        .sort(byAge)
        .slice(0, query.limit)
        .map((head) => ({ ...head }));
    },

    async purge({ statuses, updatedBefore, limit }) {
      const doomed = [...runs.values()]
        .map((r) => r.head)
        .filter((h) => statuses.includes(h.status) && h.updatedAt < updatedBefore)
        .sort(byAge)
        .slice(0, limit);
      for (const head of doomed) runs.delete(head.runId);
      return doomed.length;
    },
  };
};

const signalCount = (run: MemoryRun): number => {
  let count = 0;
  for (const step of run.steps.values()) if (step.seq === 0) count++;
  return count;
};

const byAge = (a: RunHead, b: RunHead): number =>
  a.updatedAt - b.updatedAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);

const matches = (head: RunHead, query: ListQuery): boolean =>
  (query.statuses === undefined || query.statuses.includes(head.status)) &&
  (query.updatedBefore === undefined || head.updatedAt < query.updatedBefore) &&
  (query.leaseExpiredAt === undefined || head.leaseExpiresAt <= query.leaseExpiredAt) &&
  (query.after === undefined || byAge(head, { ...head, ...query.after }) > 0);
