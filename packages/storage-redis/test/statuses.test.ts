import { FOREVER, type Storage } from '@td7x/durable-x';
import { uniqueKeyPrefix } from '@td7x/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { layout, STATUSES } from '../src/keys.ts';
import { connect, dropPrefix, sharedRedisUrl } from './support.ts';

/**
 * `suspended` and `cancelled` in the key layout: each status has its index, every script that
 * changes a status moves the index entry in the same script, and a keyspace written before these
 * statuses existed needs nothing done to it.
 */
const prefix = uniqueKeyPrefix('redis-statuses');
const T0 = Date.UTC(2026, 0, 1);
let redis: Redis;
beforeAll(async () => {
  redis = await connect(sharedRedisUrl());
});
afterAll(async () => {
  await dropPrefix(redis, prefix);
  await redis.quit();
});

/** The indexes (by status) that hold the run, read with plain ZSCORE. */
const indexedUnder = async (own: string, runId: string): Promise<Record<string, number>> => {
  const k = layout(own, 16).runKeys(runId);
  const found: Record<string, number> = {};
  for (const [i, status] of STATUSES.entries()) {
    const score = await redis.zscore(k.indexes[i] as string, k.member);
    if (score !== null) found[status] = Number(score);
  }
  return found;
};

const record = (key: string, seq: number, at: number) => ({ key, name: key, seq, output: '1', at });

describe('status indexes', () => {
  it('moves the run between indexes in the script that changes its status', async () => {
    const own = `${prefix}move:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own });
    const runId = 'moving';
    await storage.claim({ runId, owner: 'a', now: T0, leaseMs: 1_000 });
    expect(await indexedUnder(own, runId)).toEqual({ running: T0 });
    await storage.suspend({ runId, owner: 'a', at: T0 + 1, wakeAt: FOREVER });
    expect(await indexedUnder(own, runId)).toEqual({ suspended: T0 + 1 });
    await storage.claim({ runId, owner: 'b', now: T0 + 2, leaseMs: 1_000 });
    expect(await indexedUnder(own, runId)).toEqual({ running: T0 + 2 });
    await storage.suspend({ runId, owner: 'b', at: T0 + 3, wakeAt: T0 + 100 });
    await storage.cancel({ runId, at: T0 + 4 });
    expect(await indexedUnder(own, runId)).toEqual({ cancelled: T0 + 4 });
    // A claim keeps a cancelled run cancelled, and the renewal of its lease stays in that index.
    await storage.claim({ runId, owner: 'c', now: T0 + 5, leaseMs: 1_000 });
    await storage.setLease({ runId, owner: 'c', leaseExpiresAt: T0 + 2_000, now: T0 + 6 });
    expect(await indexedUnder(own, runId)).toEqual({ cancelled: T0 + 6 });
    await storage.finish({
      runId,
      owner: 'c',
      status: 'cancelled',
      at: T0 + 7,
      error: null,
      dropCleanups: true,
    });
    expect(await indexedUnder(own, runId)).toEqual({ cancelled: T0 + 7 });
  });

  it('cancels a failed or compensated run out of its index', async () => {
    const own = `${prefix}final:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own });
    for (const status of ['failed', 'compensated'] as const) {
      await storage.claim({ runId: status, owner: 'a', now: T0, leaseMs: 1_000 });
      await storage.finish({ runId: status, owner: 'a', status, at: T0, error: 'x', dropCleanups: false });
      expect(await storage.cancel({ runId: status, at: T0 + 1 })).toMatchObject({
        kind: 'cancelled',
        run: { status: 'cancelled', error: 'x', leaseExpiresAt: 0 },
      });
      expect(await indexedUnder(own, status)).toEqual({ cancelled: T0 + 1 });
    }
  });
});

describe('a keyspace written by 0.1 (four statuses)', () => {
  it('suspends, wakes, lists and cancels its runs with no migration', async () => {
    const own = `${prefix}old:`;
    const k = layout(own, 16).runKeys('old-run');
    // Exactly what 0.1's claim and putStep stored: a head, a step, the running index.
    await redis.hset(k.run[0], {
      runId: 'old-run',
      status: 'running',
      owner: 'a',
      lease: T0 + 30_000,
      attempt: 1,
      createdAt: T0,
      updatedAt: T0,
    });
    await redis.hset(k.run[1], 's#1', `${JSON.stringify(['s', 1, T0])}\n1`);
    await redis.zadd(k.run[2], 1, 's#1');
    await redis.zadd(k.indexes[0] as string, T0, k.member);
    const storage: Storage = redisStorage({ client: ioredisClient(redis), prefix: own });

    expect(await storage.suspend({ runId: 'old-run', owner: 'a', at: T0 + 1, wakeAt: FOREVER })).toEqual({
      kind: 'suspended',
      wakeAt: FOREVER,
    });
    expect(await storage.list({ statuses: ['suspended'], leaseExpiredAt: T0 + 2, limit: 10 })).toEqual([]);
    await storage.putSignal({ runId: 'old-run', record: record('go#signal', 0, T0 + 2), now: T0 + 2 });
    const due = await storage.list({ statuses: ['suspended'], leaseExpiredAt: T0 + 2, limit: 10 });
    expect(due.map((h) => [h.runId, h.leaseExpiresAt])).toEqual([['old-run', T0 + 2]]);
    expect((await storage.list({ limit: 10 })).map((h) => h.status)).toEqual(['suspended']);
    await storage.cancel({ runId: 'old-run', at: T0 + 3 });
    expect((await storage.read('old-run'))?.steps.map((s) => s.key).sort()).toEqual(['go#signal', 's#1']);
    expect(await indexedUnder(own, 'old-run')).toEqual({ cancelled: T0 + 3 });
  });
});

describe('putSignal', () => {
  it('gives the keys it creates on a completed run the expiry of the run', async () => {
    const own = `${prefix}ttl:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own, completedTtlSeconds: 3600 });
    await storage.claim({ runId: 'done', owner: 'a', now: T0, leaseMs: 1_000 });
    await storage.finish({
      runId: 'done',
      owner: 'a',
      status: 'completed',
      at: T0,
      error: null,
      dropCleanups: true,
    });
    expect(await storage.putSignal({ runId: 'done', record: record('late#signal', 0, T0), now: T0 })).toEqual(
      {
        kind: 'written',
        status: 'completed',
      },
    );
    const [head, steps, seqs] = layout(own, 16).runKeys('done').run;
    const headTtl = await redis.pttl(head);
    expect(headTtl).toBeGreaterThan(3_590_000);
    for (const key of [steps, seqs]) expect(Math.abs((await redis.pttl(key)) - headTtl)).toBeLessThan(1_000);
  });
});
