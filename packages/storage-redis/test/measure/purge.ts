/**
 * What `list`, `findAbandoned` and `purge` cost on a large keyspace: 20 000 runs, half completed,
 * half running, on 16 buckets.
 *
 *   node --conditions=@td7x/source --import tsx test/measure/purge.ts
 *
 * Starts a redis-server of its own and prints the time of each call, in ms.
 */
import { ioredisClient, redisStorage } from '../../src/index.ts';
import { ownServer } from './own-server.ts';

const server = await ownServer();
const storage = redisStorage({ client: ioredisClient(server.redis) });
const T0 = Date.UTC(2026, 0, 1);
const timed = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  const value = await f();
  console.log(`${label}: ${(performance.now() - start).toFixed(0)} ms`);
  return value;
};

try {
  const create = async (i: number) => {
    const runId = `run-${i}`;
    await storage.claim({ runId, owner: 'a', now: T0 + i, leaseMs: 60_000 });
    if (i % 2 === 1) return;
    await storage.finish({
      runId,
      owner: 'a',
      status: 'completed',
      at: T0 + i,
      error: null,
      dropCleanups: true,
    });
  };
  for (let i = 0; i < 20_000; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => create(i + j)));
  }
  await timed('a page of 100 completed runs', () => storage.list({ statuses: ['completed'], limit: 100 }));
  await timed('a page of 100 runs of any status', () => storage.list({ limit: 100 }));
  await timed('findAbandoned, none expired (page of 100)', () =>
    storage.list({ statuses: ['running'], leaseExpiredAt: T0, limit: 100 }),
  );
  await timed('purging the 10 000 completed runs, batches of 1 000', async () => {
    let total = 0;
    for (;;) {
      const deleted = await storage.purge({ statuses: ['completed'], updatedBefore: T0 + 1e9, limit: 1_000 });
      total += deleted;
      if (deleted < 1_000) break;
    }
    if (total !== 10_000) throw new Error(`purged ${total}`);
  });
} finally {
  server.stop();
}
