import { FOREVER, type Storage } from '@td7x/durable-x';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgExecute, postgresStorage, type Statements, statements } from '../src/index.ts';
import { countingExecute, freshSchema, newPool, postgresUrl } from './support/db.ts';

/**
 * The READ COMMITTED windows the statements are built around (see statements/claim.ts), made
 * deterministic: a second connection holds a write open in a transaction, our statement starts
 * (taking its snapshot) and queues on the row lock, then the write commits.
 */
let db: Awaited<ReturnType<typeof freshSchema>>;
let pool: pg.Pool;
let st: Statements;
beforeAll(async () => {
  db = await freshSchema('races');
  pool = newPool();
  st = statements(db.tables);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const storageCounting = () => {
  const execute = countingExecute(pgExecute(pool));
  return { storage: postgresStorage({ execute, schema: db.schema }) as Storage, execute };
};

/** Runs `write` inside an open transaction on its own connection; `commit` ends it. */
const openWrite = async (sql: string, params: readonly unknown[]) => {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  await client.query('BEGIN');
  const result = await client.query(sql, [...params]);
  return {
    rows: result.rows,
    commit: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
};

/** Resolves once some backend waits on a lock while running a statement that contains `marker`. */
const waitingOnLock = async (marker: string): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    const { rows } = await db.admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [marker],
    );
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no statement containing ${marker} ever waited on a lock`);
};

const claimFor = (runId: string, owner: string, now: number) => ({ runId, owner, now, leaseMs: 1000 });
const step = (key: string, seq: number, output: string) => ({ key, name: key, seq, output, at: 5 });

describe('postgres: snapshot races under READ COMMITTED', () => {
  it('a takeover that queued behind the old owner’s last step write still returns that step', async () => {
    const { storage, execute } = storageCounting();
    await storage.claim(claimFor('r1', 'A', 0)); // lease until 1000
    const w = st.putStep({ runId: 'r1', owner: 'A', record: step('late', 1, '"late"') });
    const write = await openWrite(w.sql, w.params);
    expect(w.parse(write.rows)).toEqual({ kind: 'written' });

    const before = execute.count();
    const claiming = storage.claim(claimFor('r1', 'B', 5000)); // A's lease has expired
    await waitingOnLock('WITH seen AS');
    await write.commit();
    const outcome = await claiming;

    expect(outcome.kind).toBe('claimed');
    if (outcome.kind !== 'claimed') return;
    expect(outcome.snapshot.run).toMatchObject({ owner: 'B', attempt: 2 });
    expect(outcome.snapshot.steps).toEqual([step('late', 1, '"late"')]);
    // The first statement saw a stale snapshot and changed nothing; the retry claimed.
    expect(execute.count() - before).toBe(2);
  });

  it('a takeover that queued behind the old owner’s beforeRisky still runs that cleanup', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('r2', 'A', 0));
    const c = st.putCleanup({
      runId: 'r2',
      owner: 'A',
      record: { id: 3, name: 'undo', seq: 3, params: '{}', at: 5 },
    });
    const write = await openWrite(c.sql, c.params);

    const claiming = storage.claim(claimFor('r2', 'B', 5000));
    await waitingOnLock('WITH seen AS');
    await write.commit();
    const outcome = await claiming;

    expect(outcome.kind).toBe('claimed');
    if (outcome.kind !== 'claimed') return;
    expect(outcome.snapshot.cleanups.map((x) => x.name)).toEqual(['undo']);
  });

  it('a concurrent creation of the same id: the one that waited answers busy, not a second run', async () => {
    const { storage } = storageCounting();
    const c = st.claim(claimFor('r3', 'A', 0));
    const write = await openWrite(c.sql, c.params);
    expect(c.parse(write.rows)).toMatchObject({ kind: 'claimed' });

    const claiming = storage.claim(claimFor('r3', 'B', 10));
    await waitingOnLock('WITH seen AS');
    await write.commit();
    const outcome = await claiming;
    expect(outcome).toMatchObject({ kind: 'busy', run: { owner: 'A', attempt: 1 } });
  });

  it('two writers of one step key: the one that waited gets the committed record, not its own', async () => {
    const { storage, execute } = storageCounting();
    await storage.claim(claimFor('r4', 'A', 0));
    const w = st.putStep({ runId: 'r4', owner: 'A', record: step('k', 1, '"first"') });
    const write = await openWrite(w.sql, w.params);

    const before = execute.count();
    const putting = storage.putStep({ runId: 'r4', owner: 'A', record: step('k', 2, '"second"') });
    await waitingOnLock('INSERT INTO');
    await write.commit();
    expect(await putting).toEqual({ kind: 'exists', record: step('k', 1, '"first"') });
    expect(execute.count() - before).toBe(2);
  });

  it('a write that queued behind a takeover is fenced out: lease-lost, nothing written', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('r5', 'A', 0));
    const c = st.claim(claimFor('r5', 'B', 5000));
    const takeover = await openWrite(c.sql, c.params);

    const putting = storage.putStep({ runId: 'r5', owner: 'A', record: step('zombie', 1, '"z"') });
    await waitingOnLock('INSERT INTO');
    await takeover.commit();
    expect(await putting).toEqual({ kind: 'lease-lost' });
    const stored = await storage.read('r5');
    expect(stored?.steps).toEqual([]);
    expect(stored?.run.owner).toBe('B');
  });
});

describe('postgres: snapshot races of suspend, signals and cancel', () => {
  const signal = (key: string, now: number) => ({ key, name: key, seq: 0, output: '"sent"', at: now });

  it('a suspend that queued behind a signal of the key it awaits wakes at once instead of sleeping', async () => {
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
    expect(await suspending).toEqual({ kind: 'suspended', wakeAt: 7 });
    // The first statement's snapshot had no signal: it changed nothing, the retry saw it.
    expect(execute.count() - before).toBe(2);
    expect((await storage.read('s1'))?.run).toMatchObject({ status: 'suspended', leaseExpiresAt: 7 });
  });

  it('a signal that queued behind the suspend wakes the run the suspend just parked', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('s2', 'A', 0));
    const p = st.suspend({ runId: 's2', owner: 'A', at: 7, wakeAt: FOREVER, signalKey: 'go#signal' });
    const parking = await openWrite(p.sql, p.params);
    expect(p.parse(parking.rows)).toEqual({ kind: 'suspended', wakeAt: FOREVER });

    const signalling = storage.putSignal({ runId: 's2', record: signal('go#signal', 9), now: 9 });
    await waitingOnLock('woken AS');
    await parking.commit();
    expect(await signalling).toEqual({ kind: 'written', status: 'suspended' });
    expect((await storage.read('s2'))?.run).toMatchObject({ status: 'suspended', leaseExpiresAt: 9 });
  });

  it('a takeover that queued behind a signal returns that signal', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('s3', 'A', 0));
    const w = st.putSignal({ runId: 's3', record: signal('go#signal', 3), now: 3 });
    const write = await openWrite(w.sql, w.params);

    const claiming = storage.claim(claimFor('s3', 'B', 5000));
    await waitingOnLock('WITH seen AS');
    await write.commit();
    const outcome = await claiming;
    expect(outcome).toMatchObject({ kind: 'claimed', previousStatus: 'running' });
    expect(outcome.kind === 'claimed' && outcome.snapshot.steps).toEqual([signal('go#signal', 3)]);
  });

  it('a cancel that queued behind the owner completing the run leaves it completed', async () => {
    const { storage } = storageCounting();
    await storage.claim(claimFor('s4', 'A', 0));
    const f = st.finish({
      runId: 's4',
      owner: 'A',
      status: 'completed',
      at: 5,
      error: null,
      dropCleanups: true,
    });
    const finishing = await openWrite(f.sql, f.params);

    const cancelling = storage.cancel({ runId: 's4', at: 6 });
    await waitingOnLock("ELSE 'cancelled' END");
    await finishing.commit();
    expect(await cancelling).toMatchObject({
      kind: 'completed',
      run: { status: 'completed', updatedAt: 5 },
    });
  });
});
