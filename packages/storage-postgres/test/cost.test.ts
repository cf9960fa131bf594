import {
  afterSafe,
  beforeRisky,
  type CleanupRegistry,
  complete,
  durable,
  load,
  manualClock,
} from '@td7x/durable-x';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgExecute, postgresStorage } from '../src/index.ts';
import { countingExecute, freshSchema, newPool } from './support/db.ts';

/** Statements (= round trips) per core operation, counted at the execute seam. */
let db: Awaited<ReturnType<typeof freshSchema>>;
let pool: pg.Pool;
beforeAll(async () => {
  db = await freshSchema('cost');
  pool = newPool();
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const setup = () => {
  const execute = countingExecute(pgExecute(pool));
  const storage = postgresStorage({ execute, schema: db.schema });
  const clock = manualClock(); // no lease renewals during the count
  const registry: CleanupRegistry = { undo: async () => {} };
  return { execute, storage, open: (runId: string) => load(storage, { clock })(registry)(runId) };
};

/** Round trips that `f` costs. */
const cost = async (execute: { count(): number }, f: () => Promise<unknown>): Promise<number> => {
  const before = execute.count();
  await f();
  return execute.count() - before;
};

describe('postgres: round trips', () => {
  it('one per load (new, resumed with N steps, completed), per step, per beforeRisky/afterSafe, per complete', async () => {
    const { execute, storage, open } = setup();
    const report: Record<string, number> = {};
    let cp = await open('cost/1');
    report.loadNew = 1;
    expect(execute.count()).toBe(1);
    const step = (i: number) => durable(storage)(cp)(`s${i}`)(i)(() => ({ i, text: 'x'.repeat(100) }));
    report.step = await cost(execute, () => step(0));
    for (let i = 1; i < 200; i++) await step(i);
    report.beforeRisky = await cost(execute, () => beforeRisky(storage)(cp)('undo')({ n: 1 }));
    report.afterSafe = await cost(execute, () => afterSafe(storage)(cp)('undo'));
    report.memoizedStep = await cost(execute, () => step(5));

    // Another process takes the run over after the first one's lease ran out: still one statement.
    const other = setup();
    const later = load(other.storage, { clock: manualClock(Date.UTC(2027, 0, 1)) })({ undo: async () => {} });
    report.loadWith200Steps = await cost(other.execute, () => later('cost/1'));

    // Taking over a run with a pending cleanup: the claim, then one rollback per cleanup run.
    const cp3 = await open('cost/3');
    await beforeRisky(storage)(cp3)('undo')({ n: 3 });
    report.loadWith1PendingCleanup = await cost(other.execute, () => later('cost/3'));

    report.complete = await cost(execute, async () => {
      cp = await open('cost/2');
      await complete(storage)(cp);
    });
    report.complete -= 1; // minus the load
    report.loadCompleted = await cost(execute, () => open('cost/2'));
    // A purge batch chooses, then deletes the chosen: the completed runs of this schema.
    const purge = () =>
      storage.purge({ statuses: ['completed'], updatedBefore: Date.UTC(2100, 0, 1), limit: 10 });
    report.purgeBatch = await cost(execute, async () => expect(await purge()).toBe(1));
    report.purgeNothing = await cost(execute, async () => expect(await purge()).toBe(0));

    console.info('postgres round trips:', JSON.stringify(report));
    expect(report).toEqual({
      loadNew: 1,
      step: 1,
      beforeRisky: 1,
      afterSafe: 1,
      memoizedStep: 0,
      loadWith200Steps: 1,
      loadWith1PendingCleanup: 2,
      complete: 1,
      loadCompleted: 1,
      purgeBatch: 2,
      purgeNothing: 1,
    });
  });
});
