import { type Execute, pgExecute, type TableNames, tableNames } from '@td7x/durable-x-postgres';
import type { ConformanceHarness, RawReader } from '@td7x/durable-x-testkit';
import { datatable } from 'windmill-client';
import { datatableStorage } from '../../src/index.ts';
import { startStandIn, useStandIn } from '../../src/local/index.ts';
import { type FreshDatabase, freshDatabase } from './db.ts';

/**
 * Reads a run straight from the tables with plain SQL (`execute` bypasses the adapter: a pool on
 * the data table's database, or the data table itself on a real Windmill).
 */
export const rawReaderOver = (execute: Execute, t: TableNames = tableNames()): RawReader => ({
  readRun: async (runId) => {
    const head = await execute(`SELECT status, owner FROM ${t.runs} WHERE run_id = $1`, [runId]);
    const row = head[0];
    if (row === undefined) return undefined;
    const steps = await execute(`SELECT step_key, output FROM ${t.steps} WHERE run_id = $1`, [runId]);
    const cleanups = await execute(`SELECT name FROM ${t.cleanups} WHERE run_id = $1 ORDER BY seq`, [runId]);
    return {
      status: String(row.status),
      owner: row.owner === null ? null : String(row.owner),
      stepKeys: steps.map((r) => String(r.step_key)),
      outputs: Object.fromEntries(steps.map((r) => [String(r.step_key), String(r.output)])),
      cleanupNames: cleanups.map((r) => String(r.name)),
    };
  },
});

/** Reads the default tables straight from the data table's database, bypassing adapter and stand-in. */
export const rawReader = (db: FreshDatabase): RawReader => rawReaderOver(pgExecute(db.admin));

/**
 * The conformance harness: the real windmill-client, unmodified, talking to the stand-in over
 * loopback HTTP on the given route, the stand-in running the SQL on a fresh database. `storage` is
 * built as a user would (data table `main`, tables created on first use); `reopen` builds another
 * instance on a new `datatable('main')` function.
 */
export const windmillHarness =
  (label: string, route: 'inline' | 'wait_result') => async (): Promise<ConformanceHarness> => {
    const db = await freshDatabase(label);
    const standIn = await startStandIn({
      datatables: { main: db.url },
      waitResultRoute: route === 'wait_result',
    });
    useStandIn(standIn, route);
    return {
      storage: datatableStorage(),
      reopen: async () => datatableStorage({ sql: datatable('main') }),
      raw: rawReader(db),
      roundTrips: standIn.requests,
      close: async () => {
        await standIn.close();
        await db.drop();
      },
    };
  };
