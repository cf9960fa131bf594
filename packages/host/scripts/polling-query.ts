// The host's polling queries (findDue, findAbandoned) on a million runs in Postgres: the plans the
// adapter's own statements and indexes get, and their times.
// Not part of the test run (~30 s): `. <services env> && node --conditions=@td7x/source --import tsx scripts/polling-query.ts`.
// Uses and then drops the schema dx_polling on TEST_POSTGRES_URL.
import { manualClock } from '@td7x/durable-x';
import { migrate, pgExecute, postgresStorage, statements, tableNames } from '@td7x/durable-x-postgres';
import pg from 'pg';
import { createHost } from '../src/index.ts';

const pool = new pg.Pool({ connectionString: process.env.TEST_POSTGRES_URL, max: 2 });
const schema = 'dx_polling';
const NOW = 2_000_000_000_000;
await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await migrate(pgExecute(pool), { schema });
const t = tableNames({ schema });

// 1M runs, as a busy service has them: 93% completed, 1% failed; 5% parked on long sleeps or waits
// (not due; parked long ago, so they come first in updated_at order: the worst case for a scan in
// that order); 0.1% parked and due now (short sleeps, parked recently); 1% running with live
// leases (renewed recently) and 0.05% running with leases that expired (their owner died).
const t0 = Date.now();
await pool.query(
  `INSERT INTO ${t.runs} (run_id, status, owner, lease_expires_at, attempt, created_at, updated_at, error)
   SELECT 'run-' || i,
     CASE WHEN i % 2000 = 7 THEN 'running' WHEN i % 100 = 1 THEN 'running'
          WHEN i % 1000 = 3 THEN 'suspended' WHEN i % 20 = 2 THEN 'suspended'
          WHEN i % 100 = 5 THEN 'failed' ELSE 'completed' END,
     CASE WHEN i % 2000 = 7 OR i % 100 = 1 THEN 'owner-' || i END,
     CASE WHEN i % 2000 = 7 THEN ${NOW} - 60000
          WHEN i % 100 = 1 THEN ${NOW} + 20000
          WHEN i % 1000 = 3 THEN ${NOW} - 1000
          WHEN i % 20 = 2 THEN ${NOW} + 86400000 * 7
          ELSE 0 END,
     1, ${NOW} - 100000000 + i,
     CASE WHEN i % 2000 = 7 THEN ${NOW} - 90000
          WHEN i % 100 = 1 THEN ${NOW} - 5000
          WHEN i % 1000 = 3 THEN ${NOW} - 60000
          WHEN i % 20 = 2 THEN ${NOW} - 50000000 + i
          ELSE ${NOW} - 100000000 + i END,
     NULL
   FROM generate_series(1, 1000000) i`,
);
await pool.query(`ANALYZE ${t.runs}`);
console.log(`inserted 1M runs in ${Date.now() - t0} ms`);
const counts = await pool.query(
  `SELECT status, count(*)::int AS n, count(*) FILTER (WHERE lease_expires_at <= ${NOW})::int AS expired FROM ${t.runs} GROUP BY status ORDER BY status`,
);
console.log(counts.rows.map((r) => `${r.status}: ${r.n} (lease/wake passed: ${r.expired})`).join('\n'));

const st = statements(t);
const due = st.list({ statuses: ['suspended'], leaseExpiredAt: NOW, limit: 100 });
const abandoned = st.list({ statuses: ['running'], leaseExpiredAt: NOW, limit: 100 });

const explain = async (label: string, s: { sql: string; params: readonly unknown[] }) => {
  const r = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) ${s.sql}`, [...s.params]);
  console.log(`--- ${label}\n${r.rows.map((x) => `  ${x['QUERY PLAN']}`).join('\n')}`);
};
const time = async (label: string, s: { sql: string; params: readonly unknown[] }, n = 50) => {
  await pool.query(s.sql, [...s.params]);
  const start = process.hrtime.bigint();
  let rows = 0;
  for (let k = 0; k < n; k++) rows = (await pool.query(s.sql, [...s.params])).rowCount ?? 0;
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / n;
  console.log(`${label}: ${ms.toFixed(2)} ms per call (${rows} rows), mean of ${n}`);
};
const pollOnce = async (label: string) => {
  const host = createHost({
    storage: postgresStorage({ pool, schema }),
    clock: manualClock(NOW),
    concurrency: 1,
  });
  // No workflow registered: every run found is read once and left alone; the poll is what is timed.
  const start = Date.now();
  const report = await host.poll();
  console.log(
    `${label}: host.poll() with 1 slot: ${Date.now() - start} ms (${report.skipped.length} run(s) looked at)`,
  );
};

await explain('findDue (suspended, wake time passed), adapter indexes', due);
await explain('findAbandoned (running, lease expired), adapter indexes', abandoned);
await time('findDue, adapter indexes', due);
await time('findAbandoned, adapter indexes', abandoned);
await pollOnce('adapter indexes');

// Fewer due runs than ten per page row (500 < 10 × 100): the adapter picks them through the
// wake-time index instead of walking the parked runs by age.
await pool.query(
  `UPDATE ${t.runs} SET lease_expires_at = ${NOW} + 3600000 WHERE status = 'suspended' AND lease_expires_at <= ${NOW} AND substr(run_id, 5)::int % 2000 = 1003`,
);
await pool.query(`ANALYZE ${t.runs}`);
const dueNow = await pool.query(
  `SELECT count(*)::int AS n FROM ${t.runs} WHERE status = 'suspended' AND lease_expires_at <= ${NOW}`,
);
console.log(`due now: ${dueNow.rows[0].n}`);
await explain('findDue with few due, adapter indexes', due);
await time('findDue with few due, adapter indexes', due);

await pool.query(`DROP SCHEMA ${schema} CASCADE`);
await pool.end();
