import { FOREVER } from '@td7x/durable-x';
import { describe, expect, it } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { layout, STATUSES } from '../src/keys.ts';
import { prefixForFile } from './file-prefix.ts';

/**
 * The status indexes (one per status): every script that changes a status moves the index entry
 * in the same script. And the fields a head keeps for the contract's sake.
 */
const { prefix, redis } = prefixForFile('redis-statuses');
const T0 = Date.UTC(2026, 0, 1);

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

describe('cancel', () => {
  it('keeps the owner and its lease, moves the index entry, and the owner may still undo', async () => {
    const own = `${prefix}cancel:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own });
    const runId = 'cancelled-while-running';
    await storage.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    expect(await storage.cancel({ runId, at: T0 + 1 })).toMatchObject({
      kind: 'cancelled',
      run: { status: 'cancelled', owner: 'a', leaseExpiresAt: T0 + 30_000, updatedAt: T0 + 1 },
    });
    expect(await indexedUnder(own, runId)).toEqual({ cancelled: T0 + 1 });
    // Refused progress changes no index; the renewal of the owner's lease moves the entry's score.
    expect(await storage.suspend({ runId, owner: 'a', at: T0 + 2, wakeAt: T0 + 9 })).toEqual({
      kind: 'cancelled',
    });
    expect(await storage.setLease({ runId, owner: 'a', leaseExpiresAt: T0 + 40_000, now: T0 + 3 })).toBe(
      'cancelled',
    );
    expect(await indexedUnder(own, runId)).toEqual({ cancelled: T0 + 3 });
    expect(
      await storage.finish({
        runId,
        owner: 'a',
        status: 'cancelled',
        at: T0 + 4,
        error: null,
        dropCleanups: true,
      }),
    ).toBe('cancelled');
    expect(await indexedUnder(own, runId)).toEqual({ cancelled: T0 + 4 });
  });
});

describe('claimedFrom (what a resent claim answers)', () => {
  /** The raw head field, read with plain HGET. */
  const claimedFrom = (own: string, runId: string) =>
    redis.hget(layout(own, 16).runKeys(runId).run[0], 'claimedFrom');

  it('is kept with the owner and cleared with it', async () => {
    const own = `${prefix}claimed-from:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own });
    const runId = 'kept';
    await storage.claim({ runId, owner: 'a', now: T0, leaseMs: 1_000 });
    expect(await claimedFrom(own, runId)).toBe('');
    await storage.suspend({ runId, owner: 'a', at: T0 + 1, wakeAt: T0 + 2 });
    expect(await claimedFrom(own, runId)).toBeNull();
    await storage.claim({ runId, owner: 'b', now: T0 + 2, leaseMs: 1_000 });
    expect(await claimedFrom(own, runId)).toBe('suspended');
    // Cancelling keeps the owner, so a resent claim of that owner still answers `suspended`.
    await storage.cancel({ runId, at: T0 + 3 });
    expect(await storage.claim({ runId, owner: 'b', now: T0 + 4, leaseMs: 1_000 })).toMatchObject({
      kind: 'claimed',
      previousStatus: 'suspended',
      snapshot: { run: { status: 'cancelled', owner: 'b', attempt: 2 } },
    });
    await storage.finish({
      runId,
      owner: 'b',
      status: 'cancelled',
      at: T0 + 5,
      error: null,
      dropCleanups: true,
    });
    expect(await claimedFrom(own, runId)).toBeNull();
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
    const [head, steps, signals] = layout(own, 16).runKeys('done').run;
    const headTtl = await redis.pttl(head);
    expect(headTtl).toBeGreaterThan(3_590_000);
    for (const key of [steps, signals])
      expect(Math.abs((await redis.pttl(key)) - headTtl)).toBeLessThan(1_000);
  });
});
