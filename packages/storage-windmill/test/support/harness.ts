import type { ConformanceHarness, RawReader } from '@td7x/durable-x-testkit';
import { useStandIn } from '@td7x/testing/windmill-client';
import { startStandIn } from '@td7x/testing/windmill-stand-in';
import { datatable } from 'windmill-client';
import { datatableStorage } from '../../src/index.ts';
import { type FreshDatabase, freshDatabase } from './db.ts';

/** Reads the default tables straight from the data table's database, bypassing adapter and stand-in. */
export const rawReader = (db: FreshDatabase): RawReader => ({
  readRun: async (runId) => {
    const head = await db.admin.query('SELECT status, owner FROM public.durable_x_runs WHERE run_id = $1', [
      runId,
    ]);
    if (head.rows.length === 0) return undefined;
    const steps = await db.admin.query(
      'SELECT step_key, output FROM public.durable_x_steps WHERE run_id = $1',
      [runId],
    );
    const cleanups = await db.admin.query(
      'SELECT name FROM public.durable_x_cleanups WHERE run_id = $1 ORDER BY seq',
      [runId],
    );
    return {
      status: head.rows[0].status,
      owner: head.rows[0].owner,
      stepKeys: steps.rows.map((r) => r.step_key),
      outputs: Object.fromEntries(steps.rows.map((r) => [r.step_key, r.output])),
      cleanupNames: cleanups.rows.map((r) => r.name),
    };
  },
});

/**
 * The conformance harness: the real windmill-client, unmodified, talking to the stand-in over
 * loopback HTTP on the given route, the stand-in running the SQL on a fresh database. `storage` is
 * built as a user would (data table `main`, tables created on first use); `reopen` builds another
 * instance on a new `datatable('main')` function.
 */
export const windmillHarness =
  (label: string, route: 'inline' | 'wait_result') => async (): Promise<ConformanceHarness> => {
    const db = await freshDatabase(label);
    const standIn = await startStandIn({ datatables: { main: db.url } });
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
