/**
 * How long a load takes on Redis as a run's signals grow: the claim script returns every signal
 * record, so each load (every resume, every wake-up) reads them all back, and the server runs
 * nothing else while the script builds that reply.
 *
 *   node --conditions=@td7x/source --import tsx test/measure/signal-load.ts [counts] [sizes]
 *
 * Starts a redis-server of its own (no persistence, so only this measure runs on it) and prints
 * one line per (signals, bytes each): the median of 7 loads through the core (`load`, which
 * claims), of 7 bare `claim` calls as the client sees them, and the server's own time per claim
 * script (`INFO commandstats`, the time it blocks every other client), in ms.
 */
import { load, manualClock } from '@td7x/durable-x';
import { ioredisClient, redisStorage } from '../../src/index.ts';
import { ownServer } from './own-server.ts';

const counts = (process.argv[2] ?? '0,64,256,1024').split(',').map(Number);
const sizes = (process.argv[3] ?? '1024,9216,16384,65536').split(',').map(Number);
const server = await ownServer();
const { redis } = server;
const storage = redisStorage({ client: ioredisClient(redis), buckets: 1 });
const T0 = Date.UTC(2026, 0, 1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const timed = async (f: () => Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await f();
  return performance.now() - start;
};
/** Total µs and calls of EVALSHA on the server so far. */
const evalshaStats = async (): Promise<{ usec: number; calls: number }> => {
  const line = (await redis.info('commandstats')).split('\n').find((l) => l.startsWith('cmdstat_evalsha:'));
  const field = (name: string) => Number(line?.match(new RegExp(`${name}=(\\d+)`))?.[1] ?? 0);
  return { usec: field('usec'), calls: field('calls') };
};

try {
  console.log('signals  bytes-each  total-MiB  load-ms  claim-ms  server-ms');
  for (const count of counts) {
    for (const size of sizes) {
      const runId = `run-${count}-${size}`;
      await storage.claim({ runId, owner: 'writer', now: T0, leaseMs: 1 });
      const payload = JSON.stringify('x'.repeat(Math.max(0, size - 2)));
      for (let i = 0; i < count; i++) {
        const record = { key: `s${i}#signal`, name: `s${i}`, seq: 0, output: payload, at: T0 };
        await storage.putSignal({ runId, record, now: T0 });
      }
      let now = T0 + 10;
      const loads: number[] = [];
      const claims: number[] = [];
      const servers: number[] = [];
      for (let i = 0; i < 7; i++) {
        now += 10;
        loads.push(await timed(() => load(storage, { clock: manualClock(now), leaseMs: 1 })({})(runId)));
        now += 10;
        const before = await evalshaStats();
        claims.push(await timed(() => storage.claim({ runId, owner: `c${i}`, now, leaseMs: 1 })));
        const after = await evalshaStats();
        servers.push((after.usec - before.usec) / 1000 / (after.calls - before.calls));
      }
      const mib = ((count * payload.length) / 1024 / 1024).toFixed(2);
      const cells = [
        count,
        size,
        mib,
        median(loads).toFixed(1),
        median(claims).toFixed(1),
        median(servers).toFixed(1),
      ];
      console.log(cells.map((c, i) => String(c).padStart([7, 10, 9, 7, 8, 9][i] as number)).join('  '));
    }
  }
} finally {
  server.stop();
}
