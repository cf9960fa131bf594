import { readFileSync } from 'node:fs';
import {
  afterSafe,
  beforeRisky,
  type CleanupRegistry,
  complete,
  DurableXError,
  durable,
  load,
  manualClock,
  type Storage,
} from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { schemaSql } from '@td7x/durable-x-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datatable } from 'windmill-client';
import {
  DEFAULT_MAX_VALUE_BYTES,
  datatableStorage,
  windmillLoadOptions,
  windmillRunId,
} from '../src/index.ts';
import { type StandIn, startStandIn, useStandIn } from '../src/local/index.ts';
import { type FreshDatabase, freshDatabase } from './support/db.ts';
import { rawReader } from './support/harness.ts';

let db: FreshDatabase;
let standIn: StandIn;
beforeAll(async () => {
  db = await freshDatabase('adapter');
  standIn = await startStandIn({ datatables: { main: db.url, other: db.url }, waitResultRoute: true });
  useStandIn(standIn);
});
afterAll(async () => {
  await standIn?.close();
  await db?.drop();
});

const registry: CleanupRegistry = { undo: async () => {} };
const clock = () => manualClock(Date.UTC(2026, 5, 1)); // no lease renewals while counting
const open = (storage: Storage, c = clock()) => load(storage, { clock: c })(registry);

/** HTTP requests that `f` costs. */
const requests = async (f: () => Promise<unknown>): Promise<number> => {
  const before = standIn.requests();
  await f();
  return standIn.requests() - before;
};

const typeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof DurableXError) return e.error.type;
    throw e;
  }
};

describe('windmill storage: what goes over the wire', () => {
  it('creates its tables on first use: 16 concurrent first loads on fresh instances all succeed', async () => {
    const instances = Array.from({ length: 16 }, () => datatableStorage());
    const cps = await Promise.all(instances.map((s, i) => open(s)(`first-use/${i}`)));
    expect(cps).toHaveLength(16);
    const tables = await db.admin.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'durable_x_cleanups',
      'durable_x_runs',
      'durable_x_steps',
    ]);
  });

  it('sends each statement as one typed postgresql preview on data table `main`', async () => {
    const at = standIn.log.length;
    await open(datatableStorage())('wire/1');
    const sent = standIn.log.slice(at);
    expect(sent).toHaveLength(1);
    const [claim] = sent;
    expect(claim?.route).toBe('run_inline');
    expect(claim?.content.split('\n').slice(0, 5)).toEqual([
      '-- result_collection=last_statement_all_rows',
      '-- $1 arg1 (TEXT)',
      '-- $2 arg2 (TEXT)',
      '-- $3 arg3 (BIGINT)',
      '-- $4 arg4 (BIGINT)',
    ]);
    expect(claim?.args).toMatchObject({ arg1: 'wire/1', database: 'datatable://main' });
  });

  it('uses the named data table and schema it is given', async () => {
    const storage = datatableStorage({ datatable: 'other', schema: 'dx_named', tablePrefix: 'wf_' });
    const cp = await open(storage)('named/1');
    await durable(storage)(cp)('a')(1)(() => 'done');
    const rows = await db.admin.query('SELECT step_key FROM dx_named.wf_steps');
    expect(rows.rows).toHaveLength(1);
    expect(standIn.log.at(-1)?.args.database).toBe('datatable://other');
    expect(() => datatableStorage({ datatable: 'main:other_schema' })).toThrow(/schema option/);
  });

  it('one HTTP request per operation (two per purge batch); memoized steps cost none; load is one request for 200 steps', async () => {
    const storage = datatableStorage({ sql: datatable('main') });
    const report: Record<string, number> = {};
    let cp = await open(storage)('cost/1');
    const step = (i: number) => durable(storage)(cp)(`s${i}`)(i)(() => ({ i, text: 'x'.repeat(100) }));
    report.step = await requests(() => step(0));
    for (let i = 1; i < 200; i++) await step(i);
    report.beforeRisky = await requests(() => beforeRisky(storage)(cp)('undo')({ n: 1 }));
    report.afterSafe = await requests(() => afterSafe(storage)(cp)('undo'));
    report.memoizedStep = await requests(() => step(5));
    const later = open(datatableStorage(), manualClock(Date.UTC(2027, 0, 1)));
    report.loadWith200Steps = await requests(() => later('cost/1'));
    const cp3 = await open(storage)('cost/3');
    await beforeRisky(storage)(cp3)('undo')({ n: 3 });
    report.loadWith1PendingCleanup = await requests(() => later('cost/3'));
    report.loadNew = await requests(async () => {
      cp = await open(storage)('cost/2');
    });
    report.complete = await requests(() => complete(storage)(cp));
    report.loadCompleted = await requests(() => open(storage)('cost/2'));
    // A purge batch chooses, then deletes the chosen (one run, completed in 2001: no other test's).
    await complete(storage)(await open(storage, manualClock(Date.UTC(2001, 0, 1)))('cost/old'));
    const purge = () =>
      storage.purge({ statuses: ['completed'], updatedBefore: Date.UTC(2001, 0, 2), limit: 10 });
    report.purgeBatch = await requests(async () => expect(await purge()).toBe(1));
    report.purgeNothing = await requests(async () => expect(await purge()).toBe(0));
    console.info('windmill HTTP requests per operation:', JSON.stringify(report));
    expect(report).toEqual({
      step: 1,
      beforeRisky: 1,
      afterSafe: 1,
      memoizedStep: 0,
      loadWith200Steps: 1,
      loadWith1PendingCleanup: 2,
      loadNew: 1,
      complete: 1,
      loadCompleted: 1,
      purgeBatch: 2,
      purgeNothing: 1,
    });
  });

  it('works the same through run_wait_result (a base URL that is not localhost)', async () => {
    useStandIn(standIn, 'wait_result');
    try {
      const storage = datatableStorage({ sql: datatable('main') });
      const before = standIn.requestsBy();
      const cp = await open(storage)('wait-result/1');
      expect(await durable(storage)(cp)('a')({})(() => 7)).toBe(7);
      await complete(storage)(cp);
      const after = standIn.requestsBy();
      expect(after.run_wait_result - before.run_wait_result).toBe(3);
      expect(after.run_inline - before.run_inline).toBe(0);
    } finally {
      useStandIn(standIn, 'inline');
    }
  });
});

describe('windmill storage: outages are typed StorageUnavailable, and nothing is corrupted', () => {
  it('a 500, a dropped connection, a reply lost after the commit: each typed; the run resumes correctly', async () => {
    const storage = datatableStorage({ sql: datatable('main') });
    const c = clock();
    const runId = 'outage/1';
    let ran = 0;
    const work = (name: string) => () => {
      ran++;
      return `${name}!`;
    };

    standIn.fail('http-500');
    expect(await typeOf(open(storage, c)(runId))).toBe('StorageUnavailable');
    const cp = await open(storage, c)(runId);
    const step = durable(storage)(cp);
    expect(await step('a')({})(work('a'))).toBe('a!');

    standIn.fail('drop-before');
    expect(await typeOf(step('b')({})(work('b')))).toBe('StorageUnavailable');
    expect((await rawReader(db).readRun(runId))?.stepKeys).toHaveLength(1); // nothing written

    standIn.fail('drop-after'); // the statement committed, its reply never came
    expect(await typeOf(step('c')({})(work('c')))).toBe('StorageUnavailable');
    expect((await rawReader(db).readRun(runId))?.stepKeys).toHaveLength(2); // a and c

    // A retry of the job (another process, once the lease ran out) keeps a and c, runs b only.
    c.advance(60_000);
    ran = 0;
    const other = datatableStorage({ sql: datatable('main') });
    const again = await open(other, c)(runId);
    const retry = durable(other)(again);
    expect([
      await retry('a')({})(work('a')),
      await retry('b')({})(work('b')),
      await retry('c')({})(work('c')),
    ]).toEqual(['a!', 'b!', 'c!']);
    expect(ran).toBe(1);
    await complete(other)(again);
    expect(await rawReader(db).readRun(runId)).toMatchObject({ status: 'completed', owner: null });
  });

  it('a wrong token is StorageUnavailable, with the server answer as its cause', async () => {
    useStandIn({ ...standIn, token: 'not-the-token' });
    try {
      const error = await open(datatableStorage({ sql: datatable('main') }))('auth/1').catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DurableXError);
      const typed = (error as DurableXError).error;
      expect(typed.type).toBe('StorageUnavailable');
      expect(String((typed as { cause?: unknown }).cause)).toMatch(/Unauthorized/);
    } finally {
      useStandIn(standIn);
    }
  });

  it('without createTables, missing tables are StorageUnavailable (no silent creation)', async () => {
    const storage = datatableStorage({ sql: datatable('main'), schema: 'dx_absent', createTables: false });
    const error = await open(storage)('absent/1').catch((e: unknown) => e);
    expect((error as DurableXError).error.type).toBe('StorageUnavailable');
    // The stand-in answers 500 with the database's message; the client rewrites it as its own error.
    const cause = (error as DurableXError).error as { cause?: { message?: string; query?: string } };
    // A claim is a call of the schema's claim function: the database names the missing schema.
    expect(cause.cause?.message).toMatch(/^datatable db error: ERROR: schema "dx_absent" does not exist/);
    expect(cause.cause?.query).toContain('FROM "dx_absent"."durable_x_claim"(');
    const schemas = await db.admin.query("SELECT 1 FROM pg_namespace WHERE nspname = 'dx_absent'");
    expect(schemas.rows).toHaveLength(0);
  });
});

describe('windmill helpers', () => {
  it.each([
    [{ maxValueBytes: 0 }, /maxValueBytes must be/],
    [{ maxValueBytes: Number.NaN }, /maxValueBytes must be/],
    [{ signalLimits: { perRun: Number.NaN } }, /signalLimits.perRun must be/],
    [{ signalLimits: { bytes: -1 } }, /signalLimits.bytes must be/],
    [{ maxRetries: -1 }, /maxRetries must be/],
  ])('datatableStorage refuses %j at construction, before any I/O', (options, message) => {
    expect(() => datatableStorage(options)).toThrow(message);
  });

  it('windmillRunId: root flow job and step inside a flow, the job id in a script, an error outside Windmill', () => {
    expect(windmillRunId({ WM_JOB_ID: 'j2', WM_ROOT_FLOW_JOB_ID: 'root', WM_FLOW_STEP_ID: 'c' })).toBe(
      'root:c',
    );
    expect(
      windmillRunId({
        WM_JOB_ID: 'j2',
        WM_FLOW_JOB_ID: 'flow',
        WM_ROOT_FLOW_JOB_ID: '',
        WM_FLOW_STEP_ID: 'c',
      }),
    ).toBe('flow:c');
    expect(windmillRunId({ WM_JOB_ID: 'j1', WM_ROOT_FLOW_JOB_ID: '', WM_FLOW_STEP_ID: '' })).toBe('j1');
    expect(() => windmillRunId({})).toThrow(/WM_JOB_ID/);
  });

  it('windmillLoadOptions: the job id as owner prefix (the core adds a random part)', async () => {
    expect(windmillLoadOptions({ WM_JOB_ID: 'job-7' })).toEqual({ ownerPrefix: 'wm:job-7' });
    expect(windmillLoadOptions({})).toEqual({});
    const storage = datatableStorage({ sql: datatable('main') });
    await load(storage, { ...windmillLoadOptions({ WM_JOB_ID: 'job-7' }), clock: clock() })(registry)(
      'owner/1',
    );
    expect((await rawReader(db).readRun('owner/1'))?.owner).toMatch(/^wm:job-7:[0-9a-f-]{36}$/);
  });

  it('the storage itself names the job in the owner token, read at each load (the quick start calls load(windmillStorage))', async () => {
    const storage = datatableStorage({ sql: datatable('main') });
    const before = process.env.WM_JOB_ID;
    try {
      process.env.WM_JOB_ID = 'job-8';
      await load(storage, { clock: clock() })(registry)('owner/2');
      expect((await rawReader(db).readRun('owner/2'))?.owner).toMatch(/^wm:job-8:[0-9a-f-]{36}$/);
      delete process.env.WM_JOB_ID;
      await load(storage, { clock: clock() })(registry)('owner/3');
      expect((await rawReader(db).readRun('owner/3'))?.owner).toMatch(/^dx:[0-9a-f-]{36}$/);
    } finally {
      if (before === undefined) delete process.env.WM_JOB_ID;
      else process.env.WM_JOB_ID = before;
    }
  });

  it('declares signal limits below the core’s, so that a load’s signals fit in 2 MiB; yours when given', async () => {
    const storage = datatableStorage({ sql: datatable('main') });
    expect(storage.signalLimits).toEqual({ bytes: 8 * 1024 });
    expect(256 * 8 * 1024).toBe(DEFAULT_MAX_VALUE_BYTES);
    await open(storage)('signal-limits');
    // The core refuses a signal over 8 KiB before any request (the encoded record of a string
    // payload is a few bytes more than the string), and takes one at the limit.
    const refused = await requests(async () => {
      const outcome = await R.signal(storage)('signal-limits')('big')('x'.repeat(8192));
      expect(outcome.isErr() && outcome.error.type).toBe('PayloadTooLarge');
    });
    expect(refused).toBe(0);
    expect(await R.signal(storage)('signal-limits')('fits')('x'.repeat(8000))).toMatchObject({
      value: { accepted: true },
    });
    expect(datatableStorage({ signalLimits: { perRun: 10 } }).signalLimits).toEqual({ perRun: 10 });
  });

  it('ships the migration: src/migration/up.sql is the DDL the storage runs on first use', () => {
    const up = readFileSync(new URL('../src/migration/up.sql', import.meta.url), 'utf8');
    expect(up.replace(/^(--.*\n)+\n/, '')).toBe(schemaSql());
  });
});
