import { describeConformance } from '@td7x/durable-x-testkit';
import { pgExecute, postgresStorage } from '../src/index.ts';
import { countingExecute, freshSchema, newPool } from './support/db.ts';

describeConformance('postgres', async () => {
  const db = await freshSchema('conformance');
  const pool = newPool();
  const pools = [pool];
  const execute = countingExecute(pgExecute(pool));
  const t = db.tables;
  return {
    storage: postgresStorage({ execute, schema: db.schema }),
    roundTrips: execute.count,
    reopen: async () => {
      const other = newPool();
      pools.push(other);
      return postgresStorage({ pool: other, schema: db.schema });
    },
    raw: {
      readRun: async (runId) => {
        const head = await db.admin.query(`SELECT status, owner FROM ${t.runs} WHERE run_id = $1`, [runId]);
        if (head.rows.length === 0) return undefined;
        const steps = await db.admin.query(`SELECT step_key, output FROM ${t.steps} WHERE run_id = $1`, [
          runId,
        ]);
        const cleanups = await db.admin.query(
          `SELECT name FROM ${t.cleanups} WHERE run_id = $1 ORDER BY seq`,
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
    },
    close: async () => {
      await Promise.all(pools.map((p) => p.end()));
      await db.drop();
    },
  };
});
