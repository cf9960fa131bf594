import {
  beforeRisky,
  type Checkpoint,
  type CleanupRegistry,
  complete,
  DurableXError,
  durable,
  load,
  manualClock,
} from '@td7x/durable-x';
import { type PrivatePostgres, startPrivatePostgres } from '@td7x/testing/private-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, pgExecute, postgresStorage } from '../src/index.ts';

/**
 * The storage goes away in the middle of a run: the core must answer a typed StorageUnavailable
 * quickly (no crash, no hang), leave nothing half-written, and the run must resume correctly once
 * the server is back. This file stops and freezes a server of its OWN (see @td7x/testing/private-postgres).
 */
const T0 = Date.UTC(2026, 0, 1);
const LEASE_MS = 30_000;
const LATER = T0 + 10 * LEASE_MS; // a retry long after the first attempt's lease ran out

let server: PrivatePostgres;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  server = await startPrivatePostgres();
  const admin = newPool();
  await migrate(pgExecute(admin));
}, 60_000);
afterAll(async () => {
  await server?.thaw().catch(() => {});
  await Promise.all(pools.map((p) => p.end().catch(() => {})));
  await server?.close();
});

/** A pool as an API server would configure it: bounded waits everywhere, so an outage is an error, not a hang. */
function newPool(max = 4): pg.Pool {
  const pool = new pg.Pool({
    connectionString: server.url,
    max,
    connectionTimeoutMillis: 2_000, // connecting to a dead server
    query_timeout: 3_000, // a server that accepted the query and went silent (client side)
    statement_timeout: 2_500, // a query stuck on the server (server side)
  });
  pool.on('error', () => {}); // idle clients losing the server: the next query reconnects
  pools.push(pool);
  return pool;
}

const processOf = (label: string, now: number, effects: string[]) => {
  const storage = postgresStorage({ pool: newPool() });
  const clock = manualClock(now); // never advanced: no renewals, no sleeps
  const registry: CleanupRegistry = {
    undo: async () => {
      effects.push(`${label}:undo`);
    },
  };
  return {
    storage,
    load: (runId: string) => load(storage, { clock, leaseMs: LEASE_MS })(registry)(runId),
    step: (cp: Checkpoint) => (name: string) =>
      durable(storage)(cp)(name)(name)(() => {
        effects.push(`${label}:${name}`);
        return `${name}-output`;
      }),
  };
};

/** The typed error inside a DurableXError, or a failure that says what came instead. */
const typedError = async (promise: Promise<unknown>) => {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof DurableXError)) throw outcome.error;
  return outcome.error.error;
};

const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const start = Date.now();
  const value = await f();
  return { value, ms: Date.now() - start };
};

const storedRun = async (runId: string) => postgresStorage({ pool: newPool(1) }).read(runId);

describe('postgres: the server goes away mid-run', () => {
  it('server crash-stopped: StorageUnavailable at once; after a restart the run resumes, runs its cleanup, completes', async () => {
    const effects: string[] = [];
    const runId = 'outage/server-stop';
    const a = processOf('A', T0, effects);
    const cpA = await a.load(runId);
    expect(await a.step(cpA)('one')).toBe('one-output');
    expect(await a.step(cpA)('two')).toBe('two-output');
    await beforeRisky(a.storage)(cpA)('undo')({ what: 'three' });

    await server.stopImmediately();
    const failed = await timed(() => typedError(a.step(cpA)('three')));
    expect(failed.value).toMatchObject({ type: 'StorageUnavailable', storage: 'postgres', op: 'putStep' });
    expect(failed.ms).toBeLessThan(5_000);

    const b = processOf('B', LATER, effects);
    const down = await typedError(b.load(runId));
    expect(down).toMatchObject({ type: 'StorageUnavailable', op: 'claim' });

    await server.restart();
    const cpB = await b.load(runId);
    expect(cpB).toMatchObject({ status: 'running', attempt: 2, cleanupsRun: ['undo'] });
    expect(await b.step(cpB)('one')).toBe('one-output'); // memoized
    expect(await b.step(cpB)('two')).toBe('two-output'); // memoized
    expect(await b.step(cpB)('three')).toBe('three-output');
    await complete(b.storage)(cpB);

    // "three" ran twice: its first result never reached the database. Nothing else repeated.
    expect(effects).toEqual(['A:one', 'A:two', 'A:three', 'B:undo', 'B:three']);
    const stored = await storedRun(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null, attempt: 2, error: null });
    expect(Object.fromEntries(stored?.steps.map((s) => [s.name, s.output]) ?? [])).toEqual({
      one: expect.stringContaining('one-output'),
      two: expect.stringContaining('two-output'),
      three: expect.stringContaining('three-output'),
    });
    expect(stored?.cleanups).toEqual([]);
    // The first process is fenced out for good.
    expect(await typedError(a.step(cpA)('four'))).toMatchObject({ type: 'LeaseLost' });
  }, 60_000);

  it('connection killed while its statement waits: StorageUnavailable, the statement left no trace, the run resumes', async () => {
    const effects: string[] = [];
    const runId = 'outage/terminated';
    const a = processOf('A', T0, effects);
    const cpA = await a.load(runId);
    await a.step(cpA)('one');

    // Hold the run's head row so A's next write queues inside the server, then kill A's backend.
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM "public"."durable_x_runs" WHERE run_id = $1 FOR UPDATE`, [runId]);
    const writing = typedError(a.step(cpA)('two'));
    const killer = newPool(1);
    let killed = 0;
    for (let i = 0; i < 300 && killed === 0; i++) {
      const { rows } = await killer.query(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND position('INSERT INTO' in query) > 0`,
      );
      killed = rows[0].n;
      if (killed === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(killed).toBe(1);
    expect(await writing).toMatchObject({ type: 'StorageUnavailable', op: 'putStep' });
    await blocker.query('ROLLBACK');
    await blocker.end();

    const half = await storedRun(runId);
    expect(half?.steps.map((s) => s.name)).toEqual(['one']);
    expect(half?.run).toMatchObject({ status: 'running', attempt: 1 });

    const b = processOf('B', LATER, effects);
    const cpB = await b.load(runId);
    expect(cpB.attempt).toBe(2);
    await b.step(cpB)('one');
    await b.step(cpB)('two');
    await complete(b.storage)(cpB);
    expect(effects).toEqual(['A:one', 'A:two', 'B:two']);
    expect((await storedRun(runId))?.run.status).toBe('completed');
  }, 60_000);

  it('server hung (every process frozen): StorageUnavailable after the query timeout, not a hang; resumes when it thaws', async () => {
    const effects: string[] = [];
    const runId = 'outage/frozen';
    const a = processOf('A', T0, effects);
    const cpA = await a.load(runId);
    await a.step(cpA)('one');

    await server.freeze();
    const failed = await timed(() => typedError(a.step(cpA)('two'))).finally(() => server.thaw());
    expect(failed.value).toMatchObject({ type: 'StorageUnavailable', op: 'putStep' });
    expect(failed.ms).toBeGreaterThanOrEqual(2_000);
    expect(failed.ms).toBeLessThan(10_000);

    // The write may or may not have landed before the freeze reached it: either way the retry is right.
    const b = processOf('B', LATER, effects);
    const cpB = await b.load(runId);
    await b.step(cpB)('one');
    await b.step(cpB)('two');
    await complete(b.storage)(cpB);
    expect(effects.filter((e) => e.endsWith(':one'))).toEqual(['A:one']);
    const stored = await storedRun(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', attempt: 2 });
    expect(stored?.steps.map((s) => s.name).sort()).toEqual(['one', 'two']);
  }, 60_000);
});
