import { describe, expect, it } from 'vitest';
import { ioredisClient, type RedisCommands, redisStorage } from '../src/index.ts';
import { bucketOf, layout } from '../src/keys.ts';
import { PURGE_RUNS } from '../src/lua.ts';
import { prefixForFile } from './file-prefix.ts';
import { counting } from './support.ts';

/**
 * `purge` in two rounds (each bucket names its oldest candidates, then deletes the chosen ones
 * that still match): oldest first across buckets, and a run that changed in between is kept.
 */
const { prefix, redis } = prefixForFile('redis-purge');
const T0 = Date.UTC(2026, 0, 1);

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** A run finished `status` at `at`. */
const finished = async (
  storage: ReturnType<typeof redisStorage>,
  runId: string,
  at: number,
  status: 'completed' | 'failed' = 'completed',
) => {
  await storage.claim({ runId, owner: 'a', now: at, leaseMs: 1 });
  await storage.finish({ runId, owner: 'a', status, at, error: null, dropCleanups: true });
};

describe('purge', () => {
  it('deletes the oldest runs first, across buckets and statuses, ties by run id', async () => {
    const buckets = 4;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: `${prefix}order:`, buckets });
    // The later the bucket, the older its runs (a bucket-by-bucket purge would take the newest);
    // two runs per age, so that ties are ordered by run id.
    const runs = Array.from({ length: 12 }, (_, i) => `run-${i}`).map((runId, i) => ({
      runId,
      at: T0 + 10 * (buckets - bucketOf(runId, buckets)) + (i % 2),
      status: i % 3 === 0 ? ('failed' as const) : ('completed' as const),
    }));
    for (const run of runs) await finished(storage, run.runId, run.at, run.status);
    const oldestFirst = [...runs].sort((a, b) => a.at - b.at || (a.runId < b.runId ? -1 : 1));
    expect(
      await storage.purge({ statuses: ['completed', 'failed'], updatedBefore: T0 + 1_000, limit: 5 }),
    ).toBe(5);
    const left: string[] = [];
    for (const { runId } of runs) if (await storage.read(runId)) left.push(runId);
    expect(left.sort()).toEqual(
      oldestFirst
        .slice(5)
        .map((r) => r.runId)
        .sort(),
    );
  });

  it('keeps whole a run that was claimed between choosing and deleting it', async () => {
    const own = `${prefix}moved:`;
    const base = ioredisClient(redis);
    const plain = redisStorage({ client: base, prefix: own });
    const deletion = await PURGE_RUNS.sha1();
    let meddle: (() => Promise<void>) | undefined;
    let meddled: Promise<void> | undefined;
    // Runs `meddle` once the candidates are chosen, before any bucket's deletion is sent.
    const client: RedisCommands = {
      evalsha: async (sha1, keys, args) => {
        if (sha1 === deletion && meddle) {
          meddled ??= meddle();
          await meddled;
        }
        return base.evalsha(sha1, keys, args);
      },
      eval: base.eval,
    };
    const storage = redisStorage({ client, prefix: own });
    await finished(plain, 'old', T0);
    await plain.claim({ runId: 'stays', owner: 'a', now: T0, leaseMs: 1 });
    await plain.putStep({
      runId: 'stays',
      owner: 'a',
      record: { key: 's#1', name: 's', seq: 1, output: '1', at: T0 },
    });
    await plain.putCleanup({
      runId: 'stays',
      owner: 'a',
      record: { id: 1, name: 'undo', seq: 1, params: '{}', at: T0 },
    });
    await plain.finish({
      runId: 'stays',
      owner: 'a',
      status: 'failed',
      at: T0,
      error: '"x"',
      dropCleanups: false,
    });
    meddle = async () => {
      // Another process retries the failed run: it is running again, no longer purgeable.
      expect(await plain.claim({ runId: 'stays', owner: 'b', now: T0 + 5, leaseMs: 30_000 })).toMatchObject({
        kind: 'claimed',
        previousStatus: 'failed',
      });
    };
    expect(await storage.purge({ statuses: ['failed', 'completed'], updatedBefore: T0 + 1, limit: 10 })).toBe(
      1,
    );
    expect(meddled).toBeDefined();
    expect(await plain.read('old')).toBeUndefined();
    const kept = await plain.read('stays');
    expect(kept?.run).toMatchObject({ status: 'running', owner: 'b', attempt: 2 });
    expect(kept?.steps.map((s) => s.key)).toEqual(['s#1']);
    expect(kept?.cleanups.map((c) => c.name)).toEqual(['undo']);
    expect((await plain.list({ statuses: ['running'], limit: 10 })).map((h) => h.runId)).toEqual(['stays']);
  });

  it('skips the entries of runs that expired (completedTtlSeconds) and still fills the batch', async () => {
    const own = `${prefix}expired:`;
    const expiring = redisStorage({ client: ioredisClient(redis), prefix: own, completedTtlSeconds: 3600 });
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own });
    for (let i = 0; i < 3; i++) await finished(expiring, `e${i}`, T0 + i);
    for (let i = 0; i < 3; i++) await finished(storage, `k${i}`, T0 + 10 + i);
    // Let the three oldest expire now, as the server would after an hour.
    for (let i = 0; i < 3; i++)
      for (const key of layout(own, 16).runKeys(`e${i}`).run) await redis.pexpire(key, 1);
    await waitFor(async () => (await redis.exists(...layout(own, 16).runKeys('e2').run)) === 0);
    expect(await storage.purge({ statuses: ['completed'], updatedBefore: T0 + 100, limit: 2 })).toBe(2);
    expect((await storage.list({ limit: 10 })).map((h) => h.runId)).toEqual(['k2']);
    const entries = await Promise.all(
      Array.from({ length: 16 }, (_, b) => redis.zcard(layout(own, 16).indexKey(b, 'completed'))),
    );
    expect(entries.reduce((a, n) => a + n, 0)).toBe(1);
  });

  it('costs one script per bucket to choose, then one per bucket holding a chosen run', async () => {
    const counted = counting(ioredisClient(redis));
    const storage = redisStorage({ client: counted.commands, prefix: `${prefix}cost:`, buckets: 8 });
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const inTwoBuckets = ids.filter((id) => bucketOf(id, 8) < 2).slice(0, 4);
    for (const runId of inTwoBuckets) await finished(storage, runId, T0);
    const before = counted.count();
    expect(await storage.purge({ statuses: ['completed'], updatedBefore: T0 + 1, limit: 100 })).toBe(4);
    expect(counted.count() - before).toBe(8 + new Set(inTwoBuckets.map((id) => bucketOf(id, 8))).size);
  });

  it('never counts past the limit, and a second call continues with the next oldest', async () => {
    const storage = redisStorage({ client: ioredisClient(redis), prefix: `${prefix}batches:`, buckets: 3 });
    for (let i = 0; i < 7; i++) await finished(storage, `b${i}`, T0 + i);
    expect(await storage.purge({ statuses: ['completed'], updatedBefore: T0 + 100, limit: 3 })).toBe(3);
    expect(await storage.read('b2')).toBeUndefined();
    expect(await storage.read('b3')).toBeDefined();
    expect(await storage.purge({ statuses: ['completed'], updatedBefore: T0 + 100, limit: 3 })).toBe(3);
    expect(await storage.purge({ statuses: ['completed'], updatedBefore: T0 + 100, limit: 3 })).toBe(1);
    expect(await storage.read('b6')).toBeUndefined();
  });
});
