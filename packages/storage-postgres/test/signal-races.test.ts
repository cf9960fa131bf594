import { FOREVER, type Storage } from '@td7x/durable-x';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgExecute, postgresStorage, type Statements, statements } from '../src/index.ts';
import { countingExecute, freshSchema, newPool } from './support/db.ts';
import { openWrite, waitingOnLock as waitingOnLockIn } from './support/windows.ts';

/**
 * Signals meet the owner's claim and suspend under READ COMMITTED (see statements/signal.ts and
 * claim.ts). A claim reads the records after its row lock, so a signal that had the lock before
 * it is in its answer; a flood of signals never makes the owner retry. Each window is made
 * deterministic with support/windows.ts, and a real flood checks that the owner needs no retry.
 */
let db: Awaited<ReturnType<typeof freshSchema>>;
let pool: pg.Pool;
let st: Statements;
beforeAll(async () => {
  db = await freshSchema('signal_races');
  pool = newPool();
  st = statements(db.tables);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** A storage whose statements are counted; `maxRetries: 0` makes any re-run an error. */
const storageCounting = (maxRetries?: number) => {
  const execute = countingExecute(pgExecute(pool));
  const options = maxRetries === undefined ? {} : { maxRetries };
  return { storage: postgresStorage({ execute, schema: db.schema, ...options }) as Storage, execute };
};

const waitingOnLock = (marker: string) => waitingOnLockIn(db.admin, marker);

/** In the text of every claim: the call of the claim function. */
const CLAIM_MARKER = '_claim"(';
const claimFor = (runId: string, owner: string, now: number) => ({ runId, owner, now, leaseMs: 1000 });
const signal = (key: string, now: number, output = '"sent"') => ({ key, name: key, seq: 0, output, at: now });

/** Signal records stored for the run, and the count the run keeps of them. */
const counted = async (runId: string) => {
  const { rows } = await db.admin.query(
    `SELECT (SELECT signals FROM ${db.tables.runs} WHERE run_id = $1) AS kept,
            (SELECT count(*)::int FROM ${db.tables.steps} WHERE run_id = $1 AND seq = 0) AS stored`,
    [runId],
  );
  return rows[0] as { kept: number; stored: number };
};

describe('postgres: a signal after a purge', () => {
  it('answers not-found when only a record a racing write left behind has its key', async () => {
    const { storage } = storageCounting();
    // No run, one record under its id: what a write racing a purge can leave (claim.ts deletes it).
    await db.admin.query(
      `INSERT INTO ${db.tables.steps} (run_id, step_key, name, seq, output, at) VALUES ('gone', 'go#signal', 'go', 0, '"x"', 1)`,
    );
    await expect(
      storage.putSignal({ runId: 'gone', record: signal('go#signal', 2), now: 2 }),
    ).resolves.toEqual({
      kind: 'not-found',
    });
  });
});

describe('postgres: a signal in the window of a suspend', () => {
  it('a suspend that queued behind the signal it awaits wakes at once, in one statement', async () => {
    const { storage, execute } = storageCounting();
    await storage.claim(claimFor('s1', 'A', 0));
    const w = st.putSignal({ runId: 's1', record: signal('go#signal', 3), now: 3 });
    const write = await openWrite(w.sql, w.params);
    expect(w.parse(write.rows)).toEqual({ kind: 'written', status: 'running' });

    const before = execute.count();
    const suspending = storage.suspend({
      runId: 's1',
      owner: 'A',
      at: 7,
      wakeAt: FOREVER,
      signalKey: 'go#signal',
    });
    await waitingOnLock('parked AS');
    await write.commit();
    // Its snapshot had no signal, but the signal count it then locked had moved.
    expect(await suspending).toEqual({ kind: 'suspended', wakeAt: 7 });
    expect(execute.count() - before).toBe(1);
    expect((await storage.read('s1'))?.run).toMatchObject({ status: 'suspended', leaseExpiresAt: 7 });
  });

  it('a suspend that queued behind a signal of another key is due at once too, as after any signal', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('s2', 'A', 0));
    const w = st.putSignal({ runId: 's2', record: signal('other#signal', 3), now: 3 });
    const write = await openWrite(w.sql, w.params);

    const suspending = storage.suspend({
      runId: 's2',
      owner: 'A',
      at: 7,
      wakeAt: FOREVER,
      signalKey: 'go#signal',
    });
    await waitingOnLock('parked AS');
    await write.commit();
    // The same as that signal arriving just after the suspend: it would wake the run at its `now`.
    expect(await suspending).toEqual({ kind: 'suspended', wakeAt: 7 });
  });

  it('a suspend whose snapshot already holds every signal parks until its wake time', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('s3', 'A', 0));
    await storage.putSignal({ runId: 's3', record: signal('other#signal', 3), now: 3 });
    expect(
      await storage.suspend({ runId: 's3', owner: 'A', at: 7, wakeAt: FOREVER, signalKey: 'go#signal' }),
    ).toEqual({ kind: 'suspended', wakeAt: FOREVER });
  });

  it('a signal that queued behind the suspend wakes the run the suspend just parked', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('s4', 'A', 0));
    const p = st.suspend({ runId: 's4', owner: 'A', at: 7, wakeAt: FOREVER, signalKey: 'go#signal' });
    const parking = await openWrite(p.sql, p.params);
    expect(p.parse(parking.rows)).toEqual({ kind: 'suspended', wakeAt: FOREVER });

    const signalling = storage.putSignal({ runId: 's4', record: signal('go#signal', 9), now: 9 });
    await waitingOnLock('woken AS');
    await parking.commit();
    expect(await signalling).toEqual({ kind: 'written', status: 'suspended' });
    expect((await storage.read('s4'))?.run).toMatchObject({ status: 'suspended', leaseExpiresAt: 9 });
  });
});

describe('postgres: a signal in the window of a claim', () => {
  it('a takeover that queued behind a signal claims in one statement, with it', async () => {
    const { storage, execute } = storageCounting();
    await storage.claim(claimFor('c1', 'A', 0));
    const w = st.putSignal({ runId: 'c1', record: signal('go#signal', 3), now: 3 });
    const write = await openWrite(w.sql, w.params);

    const before = execute.count();
    const claiming = storage.claim(claimFor('c1', 'B', 5000));
    await waitingOnLock(CLAIM_MARKER);
    await write.commit();
    const outcome = await claiming;
    expect(execute.count() - before).toBe(1);
    expect(outcome).toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
      snapshot: { steps: [signal('go#signal', 3)] },
    });
  });

  it('a wait past its deadline records its timeout under the signal’s key: a signal stored first wins', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('c2', 'A', 0));
    const w = st.putSignal({ runId: 'c2', record: signal('go#signal', 3), now: 3 });
    const write = await openWrite(w.sql, w.params);
    const claiming = storage.claim(claimFor('c2', 'B', 5000));
    await waitingOnLock(CLAIM_MARKER);
    await write.commit();
    expect(await claiming).toMatchObject({ kind: 'claimed', snapshot: { steps: [signal('go#signal', 3)] } });

    // What the core does when a wait's deadline has passed: the stored signal comes back.
    const timeout = signal('go#signal', 5001, '{"kind":"timeout"}');
    expect(await storage.putSignal({ runId: 'c2', record: timeout, now: 5001 })).toEqual({
      kind: 'exists',
      record: signal('go#signal', 3),
      status: 'running',
    });
  });

  it('a takeover that queued behind the old owner’s step returns it, in one statement: no record is missed', async () => {
    const { storage, execute } = storageCounting();
    await storage.claim(claimFor('c3', 'A', 0));
    await storage.putSignal({ runId: 'c3', record: signal('go#signal', 1), now: 1 });
    const w = st.putStep({
      runId: 'c3',
      owner: 'A',
      record: { key: 'late', name: 'late', seq: 1, output: '1', at: 2 },
    });
    const write = await openWrite(w.sql, w.params);
    const before = execute.count();
    const claiming = storage.claim(claimFor('c3', 'B', 5000));
    await waitingOnLock(CLAIM_MARKER);
    await write.commit();
    const outcome = await claiming;
    expect(execute.count() - before).toBe(1);
    expect(outcome.kind === 'claimed' && outcome.snapshot.steps.map((s) => s.key).sort()).toEqual([
      'go#signal',
      'late',
    ]);
  });
});

describe('postgres: signal limits and floods', () => {
  it('a sender of a key that queued behind the same key filling the run answers exists, not full', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('f1', 'A', 0));
    await storage.putSignal({ runId: 'f1', record: signal('one#signal', 1), now: 1, maxSignals: 2 });
    const w = st.putSignal({
      runId: 'f1',
      record: signal('two#signal', 2, '"first"'),
      now: 2,
      maxSignals: 2,
    });
    const write = await openWrite(w.sql, w.params);
    const sending = storage.putSignal({
      runId: 'f1',
      record: signal('two#signal', 3, '"second"'),
      now: 3,
      maxSignals: 2,
    });
    await waitingOnLock('woken AS');
    await write.commit();
    expect(await sending).toEqual({
      kind: 'exists',
      record: signal('two#signal', 2, '"first"'),
      status: 'running',
    });
    expect(await counted('f1')).toEqual({ kept: 2, stored: 2 });
  });

  it('16 concurrent senders of distinct keys on a run with room for 5: exactly 5 are written', async () => {
    const runId = 'f2';
    const { storage } = storageCounting();
    await storage.claim(claimFor(runId, 'A', 0));
    const senders = [
      storage,
      ...Array.from({ length: 3 }, () => postgresStorage({ pool, schema: db.schema })),
    ];
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        senders[i % senders.length]!.putSignal({
          runId,
          record: signal(`s${i}#signal`, i),
          now: i,
          maxSignals: 5,
        }),
      ),
    );
    expect(outcomes.filter((o) => o.kind === 'written')).toHaveLength(5);
    expect(outcomes.filter((o) => o.kind === 'full')).toHaveLength(11);
    expect(await counted(runId)).toEqual({ kept: 5, stored: 5 });
  });

  it('a flood of signals never makes the owner re-run a statement: claim, steps and suspend with maxRetries 0', async () => {
    const runId = 'flood';
    const owner = storageCounting(0).storage;
    await owner.claim(claimFor(runId, 'A', 0)); // A dies; its lease ends at 1000
    const floodPool = newPool(undefined, { max: 6 });
    const senders = Array.from({ length: 6 }, () => postgresStorage({ pool: floodPool, schema: db.schema }));
    let flooding = true;
    let sent = 0;
    const flood = senders.map(async (sender, k) => {
      for (let i = 0; flooding; i++) {
        await sender.putSignal({ runId, record: signal(`n${k}-${i}#signal`, i), now: 1 });
        sent++;
      }
    });
    try {
      while (sent < 50) await new Promise((resolve) => setTimeout(resolve, 5));
      for (let attempt = 0; attempt < 20; attempt++) {
        const who = `B${attempt}`;
        const now = 2000 * (attempt + 1);
        const claimed = await owner.claim(claimFor(runId, who, now));
        expect(claimed.kind).toBe('claimed');
        for (let s = 1; s <= 3; s++) {
          const record = { key: `${who}-${s}`, name: 'step', seq: attempt * 3 + s, output: '1', at: now };
          expect(await owner.putStep({ runId, owner: who, record })).toEqual({ kind: 'written' });
        }
        const parked = await owner.suspend({
          runId,
          owner: who,
          at: now,
          wakeAt: now + 500,
          signalKey: 'never#signal',
        });
        expect(parked.kind).toBe('suspended');
      }
    } finally {
      flooding = false;
      await Promise.all(flood);
      await floodPool.end();
    }
    const { kept, stored } = await counted(runId);
    expect(kept).toBe(stored);
    expect(stored).toBe(sent);
    console.info(
      `signal flood: ${sent} signals from 6 senders during 20 claims, 60 steps and 20 suspends, 0 re-runs`,
    );
  });
});
