import { FOREVER, type RunHead, type RunSnapshot, type Storage } from '@td7x/durable-x';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Execute, pgExecute, postgresStorage } from '../src/index.ts';
import { freshSchema, newPool } from './support/db.ts';
import { openWrite, waitingOnLock } from './support/windows.ts';

/**
 * A request that arrives twice: a driver or bridge resends a statement whose reply it lost. The
 * first arrival is applied and its reply dropped; the caller sees the second one's. Each operation
 * must answer as the contract says for a second arrival, and store exactly what one arrival
 * stores. Two ways to arrive twice, which only a SQL backend has:
 * - after: the first arrival committed before the resend starts;
 * - overlapping: both wait on the run's row lock (held by another transaction), the first gets it
 *   first, and the resend's snapshot predates the first's commit. Its answer then comes from the
 *   locked row, or from a re-run through the adapter's own retry loop.
 */
let db: Awaited<ReturnType<typeof freshSchema>>;
let pool: pg.Pool;
let lostPool: pg.Pool;
beforeAll(async () => {
  db = await freshSchema('resends');
  pool = newPool();
  lostPool = newPool();
});
afterAll(async () => {
  await Promise.all([pool?.end(), lostPool?.end()]);
  await db?.drop();
});

const MARK = '/* resent */';

/**
 * A storage whose next statement, once armed, arrives twice; the first arrival's reply is lost.
 * `arm(k)` arms the k-th next statement instead (a purge sends two).
 */
const resendingStorage = (mode: 'after' | 'overlapping') => {
  const direct = pgExecute(pool);
  const lost = pgExecute(lostPool);
  let armed = 0;
  let firstArrival: Promise<unknown> = Promise.resolve();
  const execute: Execute = async (sql, params) => {
    if (armed === 0 || --armed > 0) return direct(sql, params);
    const marked = `${MARK} ${sql}`;
    if (mode === 'after') {
      await lost(marked, params);
      return direct(marked, params);
    }
    firstArrival = lost(marked, params);
    await waitingOnLock(db.admin, MARK); // the first arrival is queued on the row lock, then the resend
    return direct(marked, params);
  };
  return {
    storage: postgresStorage({ execute, schema: db.schema }) as Storage,
    arm: (k = 1) => {
      armed = k;
    },
    firstArrival: () => firstArrival,
  };
};

const plain = (): Storage => postgresStorage({ pool, schema: db.schema });

const step = (key: string, seq: number) => ({ key, name: key, seq, output: `"${key}"`, at: 5 });
const cleanup = (id: number) => ({ id, name: 'undo', seq: id, params: '{}', at: 5 });
const signal = (key: string, at: number) => ({ key, name: key, seq: 0, output: '"sent"', at });
const claimed = (storage: Storage, runId: string, owner = 'A', now = 0) =>
  storage.claim({ runId, owner, now, leaseMs: 1000 });

interface Case {
  readonly name: string;
  /** Brings the run to the state the operation meets; absent run when omitted. */
  readonly setup?: (storage: Storage, runId: string) => Promise<unknown>;
  readonly op: (storage: Storage, runId: string) => Promise<unknown>;
  /** What the second arrival answers, given what one arrival answered and the run as stored. */
  readonly resent: (once: unknown, stored: unknown) => unknown;
}

const same = (once: unknown) => once;

const cases: readonly Case[] = [
  {
    name: 'claim that created the run: claimed, previousStatus null, attempt 1',
    op: (s, id) => claimed(s, id, 'B', 100),
    resent: (_, stored) => ({ kind: 'claimed', previousStatus: null, snapshot: stored }),
  },
  {
    name: 'claim that took over a suspended run: claimed, previousStatus suspended, attempt 2',
    setup: async (s, id) => {
      await claimed(s, id);
      await s.putStep({ runId: id, owner: 'A', record: step('s#1', 1) });
      await s.suspend({ runId: id, owner: 'A', at: 10, wakeAt: 50 });
    },
    op: (s, id) => claimed(s, id, 'B', 100),
    resent: (_, stored) => ({ kind: 'claimed', previousStatus: 'suspended', snapshot: stored }),
  },
  {
    name: 'putStep: exists with its own record',
    setup: (s, id) => claimed(s, id),
    op: (s, id) => s.putStep({ runId: id, owner: 'A', record: step('s#1', 1) }),
    resent: () => ({ kind: 'exists', record: step('s#1', 1) }),
  },
  {
    name: 'putCleanup: ok, one record',
    setup: (s, id) => claimed(s, id),
    op: (s, id) => s.putCleanup({ runId: id, owner: 'A', record: cleanup(2) }),
    resent: same,
  },
  {
    name: 'removeCleanup: ok',
    setup: async (s, id) => {
      await claimed(s, id);
      await s.putCleanup({ runId: id, owner: 'A', record: cleanup(2) });
    },
    op: (s, id) => s.removeCleanup({ runId: id, owner: 'A', id: 2 }),
    resent: same,
  },
  {
    name: 'rollback: ok',
    setup: async (s, id) => {
      await claimed(s, id);
      await s.putStep({ runId: id, owner: 'A', record: step('s#1', 1) });
      await s.putCleanup({ runId: id, owner: 'A', record: cleanup(2) });
      await s.putStep({ runId: id, owner: 'A', record: step('s#3', 3) });
    },
    op: (s, id) => s.rollback({ runId: id, owner: 'A', cleanupId: 2, afterSeq: 2 }),
    resent: same,
  },
  {
    name: 'setLease: ok',
    setup: (s, id) => claimed(s, id),
    op: (s, id) => s.setLease({ runId: id, owner: 'A', leaseExpiresAt: 5000, now: 10 }),
    resent: same,
  },
  {
    name: 'finish: ok, not lease-lost',
    setup: async (s, id) => {
      await claimed(s, id);
      await s.putCleanup({ runId: id, owner: 'A', record: cleanup(2) });
    },
    op: (s, id) =>
      s.finish({ runId: id, owner: 'A', status: 'completed', at: 20, error: null, dropCleanups: true }),
    resent: same,
  },
  {
    name: 'finish of a cancelled run to cancelled: ok (the first answered cancelled)',
    setup: async (s, id) => {
      await claimed(s, id);
      await s.cancel({ runId: id, at: 15 });
    },
    op: (s, id) =>
      s.finish({ runId: id, owner: 'A', status: 'cancelled', at: 20, error: null, dropCleanups: false }),
    resent: () => 'ok',
  },
  {
    name: 'suspend: the stored wake time',
    setup: (s, id) => claimed(s, id),
    op: (s, id) => s.suspend({ runId: id, owner: 'A', at: 20, wakeAt: 500 }),
    resent: same,
  },
  {
    name: 'suspend awaiting a stored signal: the stored wake time (now)',
    setup: async (s, id) => {
      await claimed(s, id);
      await s.putSignal({ runId: id, record: signal('go#signal', 15), now: 15 });
    },
    op: (s, id) => s.suspend({ runId: id, owner: 'A', at: 20, wakeAt: FOREVER, signalKey: 'go#signal' }),
    resent: same,
  },
  {
    name: 'putSignal waking a suspended run: exists with its own record',
    setup: async (s, id) => {
      await claimed(s, id);
      await s.suspend({ runId: id, owner: 'A', at: 10, wakeAt: FOREVER });
    },
    op: (s, id) => s.putSignal({ runId: id, record: signal('go#signal', 30), now: 30, maxSignals: 1 }),
    resent: () => ({ kind: 'exists', record: signal('go#signal', 30), status: 'suspended' }),
  },
  {
    name: 'cancel: cancelled with the same head',
    setup: (s, id) => claimed(s, id),
    op: (s, id) => s.cancel({ runId: id, at: 40 }),
    resent: same,
  },
];

/** A snapshot with its run id replaced and its records in a stable order. */
const sorted = (snapshot: RunSnapshot, as: string) => ({
  run: { ...snapshot.run, runId: as },
  steps: [...snapshot.steps].sort((a, b) => a.seq - b.seq || (a.key < b.key ? -1 : 1)),
  cleanups: [...snapshot.cleanups].sort((a, b) => a.id - b.id),
});

/** The run as stored, as `sorted`. */
const storedAs = async (runId: string, as = 'run') => {
  const snapshot = await plain().read(runId);
  return snapshot === undefined ? undefined : sorted(snapshot, as);
};

/** An answer with its snapshot (claim) as `sorted`, or its head's (cancel) run id replaced. */
const comparable = (answer: unknown, as = 'run'): unknown => {
  if (typeof answer !== 'object' || answer === null) return answer;
  if ('snapshot' in answer) return { ...answer, snapshot: sorted(answer.snapshot as RunSnapshot, as) };
  if ('run' in answer) return { ...answer, run: { ...(answer.run as RunHead), runId: as } };
  return answer;
};

describe.each(['after', 'overlapping'] as const)(
  'postgres: a resent request, arriving %s the first',
  (mode) => {
    it.each(cases.filter((c) => mode === 'after' || c.setup !== undefined))('$name', async (c) => {
      const once = `${mode}/${c.name}/once`;
      const twice = `${mode}/${c.name}/twice`;
      await c.setup?.(plain(), once);
      const answeredOnce = await c.op(plain(), once);

      const { storage, arm, firstArrival } = resendingStorage(mode);
      await c.setup?.(plain(), twice);
      let answeredTwice: unknown;
      arm();
      if (mode === 'after') answeredTwice = await c.op(storage, twice);
      else {
        const blocker = await openWrite(`SELECT FROM ${db.tables.runs} WHERE run_id = $1 FOR UPDATE`, [
          twice,
        ]);
        const answering = c.op(storage, twice);
        await waitingOnLock(db.admin, MARK, 2);
        await blocker.commit();
        answeredTwice = await answering;
        await firstArrival();
      }

      const stored = await storedAs(twice);
      expect(stored).toEqual(await storedAs(once));
      expect(comparable(answeredTwice)).toEqual(c.resent(comparable(answeredOnce), stored));
    });
  },
);

describe('postgres: a resent purge', () => {
  const query = { statuses: ['completed'] as const, updatedBefore: 1000, limit: 2 };

  it.each([
    [1, 'its choice'],
    [2, 'its deletion'],
  ])('statement %i (%s) arriving twice deletes nothing the first arrival did not choose', async (k) => {
    const schema = await freshSchema(`purge_resend_${k}`);
    const storage = (execute?: Execute) =>
      postgresStorage(execute ? { execute, schema: schema.schema } : { pool, schema: schema.schema });
    try {
      for (const [i, at] of [10, 20, 30].entries()) {
        const runId = `done/${i}`;
        await storage().claim({ runId, owner: 'A', now: at, leaseMs: 1000 });
        await storage().finish({
          runId,
          owner: 'A',
          status: 'completed',
          at,
          error: null,
          dropCleanups: true,
        });
      }
      let armed = k;
      const direct = pgExecute(pool);
      const resending: Execute = async (sql, params) => {
        if (--armed === 0) await direct(sql, params); // the first arrival, whose reply is lost
        return direct(sql, params);
      };
      const answered = await storage(resending).purge(query);
      // The two oldest were chosen and deleted; the resent deletion finds them gone and answers 0.
      expect(answered).toBe(k === 1 ? 2 : 0);
      expect((await storage().list({ limit: 10 })).map((r) => r.runId)).toEqual(['done/2']);
    } finally {
      await schema.drop();
    }
  });
});
