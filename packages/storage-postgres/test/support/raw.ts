import type { RawReader } from '@td7x/durable-x-testkit';
import type pg from 'pg';
import type { TableNames } from '../../src/index.ts';

/** Reads a run straight from the tables with plain SQL on an admin pool, bypassing the adapter. */
export const rawReader = (admin: pg.Pool, t: TableNames): RawReader => ({
  readRun: async (runId) => {
    const head = await admin.query(`SELECT status, owner FROM ${t.runs} WHERE run_id = $1`, [runId]);
    if (head.rows.length === 0) return undefined;
    const steps = await admin.query(`SELECT step_key, output FROM ${t.steps} WHERE run_id = $1`, [runId]);
    const cleanups = await admin.query(`SELECT name FROM ${t.cleanups} WHERE run_id = $1 ORDER BY seq`, [
      runId,
    ]);
    return {
      status: head.rows[0].status,
      owner: head.rows[0].owner,
      stepKeys: steps.rows.map((r) => r.step_key),
      outputs: Object.fromEntries(steps.rows.map((r) => [r.step_key, r.output])),
      cleanupNames: cleanups.rows.map((r) => r.name),
    };
  },
});
