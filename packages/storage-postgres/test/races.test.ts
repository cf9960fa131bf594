import type { Storage } from '@td7x/durable-x';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgExecute, postgresStorage, type Statements, statements } from '../src/index.ts';
import { countingExecute, freshSchema, newPool } from './support/db.ts';
import { openWrite, waitingOnLock as waitingOnLockIn } from './support/windows.ts';

/**
 * The READ COMMITTED windows of claims and fenced writes (see statements/claim.ts), made
 * deterministic with support/windows.ts. Signals have their own: signal-races.test.ts.
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

const waitingOnLock = (marker: string) => waitingOnLockIn(db.admin, marker);

/** In the text of every claim: the call of the claim function. */
const CLAIM_MARKER = '_claim"(';

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
    await waitingOnLock(CLAIM_MARKER);
    await write.commit();
    const outcome = await claiming;

    expect(outcome.kind).toBe('claimed');
    if (outcome.kind !== 'claimed') return;
    expect(outcome.snapshot.run).toMatchObject({ owner: 'B', attempt: 2 });
    expect(outcome.snapshot.steps).toEqual([step('late', 1, '"late"')]);
    // One statement: the claim function reads the records after its row lock (claim.ts).
    expect(execute.count() - before).toBe(1);
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
    await waitingOnLock(CLAIM_MARKER);
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
    await waitingOnLock(CLAIM_MARKER);
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

describe('postgres: cancel and finish', () => {
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

describe('postgres: claim racing purge', () => {
  // A schema of its own: a purge here must not reach the runs of the other races.
  let purgeDb: Awaited<ReturnType<typeof freshSchema>>;
  let purgeSt: Statements;
  beforeAll(async () => {
    purgeDb = await freshSchema('purge_race');
    purgeSt = statements(purgeDb.tables);
  });
  afterAll(async () => {
    await purgeDb?.drop();
  });
  const storageOnPurgeSchema = () => postgresStorage({ pool, schema: purgeDb.schema }) as Storage;

  const completedRun = async (storage: Storage, runId: string) => {
    await storage.claim(claimFor(runId, 'A', 0));
    await storage.putStep({ runId, owner: 'A', record: step('charge', 1, '"paid"') });
    await storage.finish({ runId, owner: 'A', status: 'completed', at: 10, error: null, dropCleanups: true });
  };

  const failedRun = async (storage: Storage, runId: string) => {
    await storage.claim(claimFor(runId, 'A', 0));
    await storage.putStep({ runId, owner: 'A', record: step('charge', 1, '"paid"') });
    await storage.finish({ runId, owner: 'A', status: 'failed', at: 10, error: '"x"', dropCleanups: false });
  };

  it('a claim that queued behind the purge of its run answers the run it created, not the purged one', async () => {
    const storage = storageOnPurgeSchema();
    await failedRun(storage, 'p1');
    const query = { statuses: ['failed'] as const, updatedBefore: 1000, limit: 10 };
    const choice = purgeSt.choosePurge(query);
    const chosen = choice.parse((await purgeDb.admin.query(choice.sql, [...choice.params])).rows);
    const p = purgeSt.purgeChosen(query, chosen);
    const purging = await openWrite(p.sql, p.params);
    expect(p.parse(purging.rows)).toBe(1);

    const claiming = storage.claim(claimFor('p1', 'B', 2000));
    await waitingOnLock(CLAIM_MARKER);
    await purging.commit();
    const outcome = await claiming;

    // The purge came first, so the run was created anew: attempt 1, nothing memoized.
    const stored = await storage.read('p1');
    expect(outcome).toEqual({ kind: 'claimed', previousStatus: null, snapshot: stored });
    expect(stored).toMatchObject({
      run: { owner: 'B', status: 'running', attempt: 1 },
      steps: [],
      cleanups: [],
    });
  });

  it('a claim of a completed run takes no lock: it answers while another transaction holds the row', async () => {
    const storage = storageOnPurgeSchema();
    await completedRun(storage, 'p2');
    const holder = await openWrite(`SELECT FROM ${purgeDb.tables.runs} WHERE run_id = $1 FOR UPDATE`, ['p2']);
    try {
      // Replays of a completed run (duplicate requests) never queue on its row.
      const outcome = await storage.claim(claimFor('p2', 'B', 2000));
      expect(outcome).toMatchObject({
        kind: 'completed',
        snapshot: { steps: [step('charge', 1, '"paid"')] },
      });
    } finally {
      await holder.commit();
    }
  });

  it('races of claim and the adapter’s own purge: a claim answers what is stored after it, every time', async () => {
    const storage = storageOnPurgeSchema();
    const otherPool = newPool();
    const other = postgresStorage({ pool: otherPool, schema: purgeDb.schema }) as Storage;
    const problems: string[] = [];
    for (let i = 0; i < 150; i++) {
      const runId = `race/${i}`;
      await completedRun(storage, runId);
      // The purge is sent first, so that the claim often starts while the DELETE holds the row.
      const [, outcome] = await Promise.all([
        other.purge({ statuses: ['completed'], updatedBefore: 1000, limit: 100 }),
        storage.claim(claimFor(runId, 'B', 2000)),
      ]);
      const stored = await storage.read(runId);
      if (outcome.kind === 'completed') {
        // The claim came first: it saw the completed run (purged right after).
        if (stored !== undefined)
          problems.push(`${runId}: completed answer, run kept: ${JSON.stringify(stored)}`);
        if (outcome.snapshot.steps.length !== 1) problems.push(`${runId}: completed without its step`);
      } else if (outcome.kind === 'claimed') {
        // The purge came first: a run created anew, answered as stored.
        if (outcome.previousStatus !== null)
          problems.push(`${runId}: previousStatus ${outcome.previousStatus}`);
        if (JSON.stringify(outcome.snapshot) !== JSON.stringify(stored))
          problems.push(
            `${runId}: answered ${JSON.stringify(outcome.snapshot)}, stored ${JSON.stringify(stored)}`,
          );
      } else problems.push(`${runId}: ${outcome.kind}`);
    }
    await otherPool.end();
    expect(problems).toEqual([]);
  });
});
