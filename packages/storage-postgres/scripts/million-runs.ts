// Plans and timings of list / find-abandoned / find-due / purge / read / claim on a million runs (100k with 3 steps).
// Not part of the test run (~20 s): `source <services env> && node --conditions=@td7x/source --import tsx scripts/million-runs.ts`.
// Uses and then drops the schema dx_million on TEST_POSTGRES_URL.
import pg from 'pg';
import { migrate, pgExecute, postgresStorage, statements, tableNames } from '../src/index.ts';

const pool = new pg.Pool({ connectionString: process.env.TEST_POSTGRES_URL, max: 2 });
const schema = 'dx_million';
await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await migrate(pgExecute(pool), { schema });
const t = tableNames({ schema });
let t0 = Date.now();
// 1M runs: 96% completed, 2% failed, 1% running (half of them with expired leases), 1% suspended
// (half of them due); 3 steps each for 100k of them.
await pool.query(`INSERT INTO ${t.runs} (run_id, status, owner, lease_expires_at, attempt, created_at, updated_at, error)
  SELECT 'run-' || i, CASE WHEN i % 100 = 0 THEN 'running' WHEN i % 100 = 50 THEN 'suspended' WHEN i % 50 = 1 THEN 'failed' ELSE 'completed' END,
         CASE WHEN i % 100 = 0 THEN 'owner' END,
         CASE WHEN i % 100 IN (0, 50) THEN (CASE WHEN i % 200 IN (0, 50) THEN 1000 ELSE 9e15::bigint END) ELSE 0 END,
         1, i, 1000000 + i, NULL FROM generate_series(1, 1000000) i`);
console.log('insert runs', Date.now() - t0, 'ms');
t0 = Date.now();
await pool.query(
  `INSERT INTO ${t.steps} SELECT 'run-' || i, 'step' || j, 'step', j, repeat('x', 100), i FROM generate_series(1, 100000) i, generate_series(1, 3) j`,
);
console.log('insert steps', Date.now() - t0, 'ms');
await pool.query(`ANALYZE ${t.runs}; ANALYZE ${t.steps}`);
const st = statements(t);
const storage = postgresStorage({ pool, schema });
const explain = async (label: string, s: { sql: string; params: readonly unknown[] }) => {
  const r = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) ${s.sql}`, [...s.params]);
  const lines = r.rows.map((x) => x['QUERY PLAN']);
  console.log(
    `--- ${label}\n${lines
      .filter((l: string) => /Scan|Sort|Limit|Execution|Delete|Buffers: shared/.test(l))
      .slice(0, 12)
      .join('\n')}`,
  );
};
await explain('list all page 1', st.list({ limit: 100 }));
await explain(
  'list all deep page',
  st.list({ limit: 100, after: { updatedAt: 1_900_000, runId: 'run-900000' } }),
);
await explain(
  'list completed deep page',
  st.list({ statuses: ['completed'], limit: 100, after: { updatedAt: 1_500_000, runId: 'run-500000' } }),
);
await explain('list failed+compensated', st.list({ statuses: ['failed', 'compensated'], limit: 100 }));
await explain('find abandoned', st.list({ statuses: ['running'], leaseExpiredAt: 5000, limit: 100 }));
await explain('find due suspended', st.list({ statuses: ['suspended'], leaseExpiredAt: 5000, limit: 100 }));
await explain('read', st.read('run-4242'));
await explain('claim existing completed', st.claim({ runId: 'run-4242', owner: 'x', now: 5, leaseMs: 5 }));
await pool.query('BEGIN');
for (const [label, query] of [
  ['purge 1000 completed', { statuses: ['completed'], updatedBefore: 1_200_000, limit: 1000 }],
  [
    'purge 1000 completed+failed',
    { statuses: ['completed', 'failed'], updatedBefore: 1_900_000, limit: 1000 },
  ],
] as const) {
  const choice = st.choosePurge(query);
  await explain(`${label}: choose`, choice);
  const chosen = choice.parse((await pool.query(choice.sql, [...choice.params])).rows);
  await explain(`${label}: delete the chosen`, st.purgeChosen(query, chosen));
}
await pool.query('ROLLBACK');
for (const [label, f] of [
  [
    'list page x100',
    () =>
      storage.list({
        statuses: ['completed'],
        limit: 100,
        after: { updatedAt: 1_500_000, runId: 'run-500000' },
      }),
  ],
  ['abandoned x100', () => storage.list({ statuses: ['running'], leaseExpiredAt: 5000, limit: 100 })],
  ['due suspended x100', () => storage.list({ statuses: ['suspended'], leaseExpiredAt: 5000, limit: 100 })],
  [
    'purge 1000 x100',
    () => storage.purge({ statuses: ['completed'], updatedBefore: 2_000_000, limit: 1000 }),
  ],
] as const) {
  const s = Date.now();
  for (let i = 0; i < 100; i++) await (f as () => Promise<unknown>)();
  console.log(label, ((Date.now() - s) / 100).toFixed(2), 'ms per call');
}
await pool.query(`DROP SCHEMA ${schema} CASCADE`);
await pool.end();
