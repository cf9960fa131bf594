// Load (claim) time of a run vs the number and size of its signals through windmill-client and the
// loopback stand-in of Windmill's API (`@td7x/durable-x-windmill/local`), on both routes: every load
// returns every signal in one HTTP response. Decides the signal limits the README states. Not part
// of the test run (~30 s): `source <services env> && node --conditions=@td7x/source --import tsx
// scripts/signal-load.ts`. Creates and drops a database on TEST_POSTGRES_URL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { datatableStorage } from '../src/index.ts';
import { startStandIn, useStandIn } from '../src/local/index.ts';

const server = process.env.TEST_POSTGRES_URL;
if (!server) throw new Error('TEST_POSTGRES_URL is not set');
const database = `dx_wm_signal_load_${process.pid}`;
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`CREATE DATABASE "${database}"`);
const url = new URL(server);
url.pathname = `/${database}`;
const standIn = await startStandIn({ datatables: { main: url.toString() }, waitResultRoute: true });

const payload = (bytes: number) =>
  JSON.stringify(
    randomBytes(bytes)
      .toString('base64')
      .slice(0, Math.max(0, bytes - 2)),
  );
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const grid: Array<[count: number, bytes: number]> = [
  [0, 0],
  [64, 1024],
  [256, 1024],
  [16, 64 * 1024],
  [64, 64 * 1024],
  [256, 64 * 1024],
];
try {
  for (const route of ['inline', 'wait_result'] as const) {
    useStandIn(standIn, route);
    const storage = datatableStorage();
    console.log(`route ${route}\nsignals  bytes each  total MiB  load (claim) median ms`);
    let now = 1;
    for (const [count, bytes] of grid) {
      const runId = `${route}-${count}-${bytes}`;
      await storage.claim({ runId, owner: 'setup', now: now++, leaseMs: 1 });
      const value = payload(bytes);
      for (let i = 0; i < count; i++) {
        const record = { key: `s${i}#signal`, name: `s${i}`, seq: 0, output: value, at: now };
        await storage.putSignal({ runId, record, now });
      }
      const loads: number[] = [];
      for (let k = 0; k < 5; k++) {
        now += 10;
        const t0 = performance.now();
        const outcome = await storage.claim({ runId, owner: `o${k}`, now, leaseMs: 1 });
        loads.push(performance.now() - t0);
        if (outcome.kind !== 'claimed' || outcome.snapshot.steps.length !== count)
          throw new Error('bad load');
      }
      const total = (count * bytes) / 2 ** 20;
      console.log(
        `${String(count).padStart(7)}  ${String(bytes).padStart(10)}  ${total.toFixed(2).padStart(9)}  ${median(loads).toFixed(1).padStart(22)}`,
      );
    }
  }
} finally {
  await standIn.close();
  await admin.query(`DROP DATABASE "${database}" WITH (FORCE)`);
  await admin.end();
}
