// Load (claim) time of a run vs the number and size of its signals: every load reads every signal
// back, so this decides the signal limits the README states. Not part of the test run (~15 s):
// `source <services env> && node --conditions=@td7x/source --import tsx scripts/signal-load.ts`.
// Uses and then drops the schema dx_signal_load on TEST_POSTGRES_URL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, pgExecute, postgresStorage } from '../src/index.ts';

const pool = new pg.Pool({ connectionString: process.env.TEST_POSTGRES_URL, max: 2 });
const schema = 'dx_signal_load';
await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await migrate(pgExecute(pool), { schema });
const storage = postgresStorage({ pool, schema });

// A JSON string of `bytes` random characters (incompressible, unlike a repeated one, which TOAST
// would shrink), as the core's codec stores a string payload.
const payload = (bytes: number) =>
  JSON.stringify(
    randomBytes(bytes)
      .toString('base64')
      .slice(0, Math.max(0, bytes - 2)),
  );

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const grid: Array<[count: number, bytes: number]> = [
  [0, 0],
  [16, 1024],
  [64, 1024],
  [256, 1024],
  [1024, 1024],
  [16, 64 * 1024],
  [64, 64 * 1024],
  [256, 64 * 1024],
];
console.log('signals  bytes each  total MiB  load (claim) median ms  putSignal median ms');
let now = 1;
for (const [count, bytes] of grid) {
  const runId = `run-${count}-${bytes}`;
  await storage.claim({ runId, owner: 'setup', now: now++, leaseMs: 1 });
  const value = payload(bytes);
  const sends: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await storage.putSignal({
      runId,
      record: { key: `s${i}#signal`, name: `s${i}`, seq: 0, output: value, at: now },
      now,
    });
    sends.push(performance.now() - t0);
  }
  const loads: number[] = [];
  for (let k = 0; k < 7; k++) {
    now += 10;
    const t0 = performance.now();
    const outcome = await storage.claim({ runId, owner: `o${k}`, now, leaseMs: 1 });
    loads.push(performance.now() - t0);
    if (outcome.kind !== 'claimed' || outcome.snapshot.steps.length !== count) throw new Error('bad load');
  }
  const total = (count * bytes) / 2 ** 20;
  console.log(
    `${String(count).padStart(7)}  ${String(bytes).padStart(10)}  ${total.toFixed(2).padStart(9)}  ${median(loads).toFixed(1).padStart(22)}  ${(count ? median(sends) : 0).toFixed(2).padStart(19)}`,
  );
}
await pool.query(`DROP SCHEMA ${schema} CASCADE`);
await pool.end();
