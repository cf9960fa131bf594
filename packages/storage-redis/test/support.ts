import type { RawRun } from '@td7x/durable-x-testkit';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisCommands } from '../src/index.ts';
import { layout } from '../src/keys.ts';

/** The shared test server, resolved by the global setup. */
export const sharedRedisUrl = (): string => {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: the global setup did not run');
  return url;
};

/** Fail fast while the server is away instead of queueing: what the README recommends. */
export const FAIL_FAST: RedisOptions = {
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  connectTimeout: 2_000,
};

export const connect = async (url: string, options: RedisOptions = {}): Promise<Redis> => {
  const redis = new Redis(url, { ...FAIL_FAST, lazyConnect: true, ...options });
  await redis.connect();
  return redis;
};

/** Wraps the command interface to count the requests the adapter sends. */
export const counting = (inner: RedisCommands) => {
  let count = 0;
  let evals = 0;
  const commands: RedisCommands = {
    evalsha: (...a) => {
      count++;
      return inner.evalsha(...a);
    },
    eval: (...a) => {
      count++;
      evals++;
      return inner.eval(...a);
    },
  };
  /** `count`: every request; `evals`: the EVAL fallbacks after a NOSCRIPT reply. */
  return { commands, count: () => count, evals: () => evals };
};

/** Reads a run with plain Redis commands, bypassing the adapter's scripts. */
export const rawReader = (redis: Pick<Redis, 'hgetall'>, prefix: string, buckets = 16) => ({
  async readRun(runId: string): Promise<RawRun | undefined> {
    const [head, steps, , cleanups] = layout(prefix, buckets).runKeys(runId).run;
    const fields = await redis.hgetall(head);
    if (Object.keys(fields).length === 0) return undefined;
    const stepValues = await redis.hgetall(steps);
    const cleanupValues = await redis.hgetall(cleanups);
    const payloadOf = (stored: string) => stored.slice(stored.indexOf('\n') + 1);
    const nameOf = (stored: string) => (JSON.parse(stored.slice(0, stored.indexOf('\n'))) as [string])[0];
    return {
      status: fields.status as string,
      owner: fields.owner ?? null,
      stepKeys: Object.keys(stepValues),
      outputs: Object.fromEntries(
        Object.entries(stepValues).map(([key, stored]) => [key, payloadOf(stored)]),
      ),
      cleanupNames: Object.values(cleanupValues).map(nameOf),
    };
  },
});

/** Deletes every key under a prefix (SCAN + UNLINK). */
export const dropPrefix = async (redis: Redis, prefix: string): Promise<void> => {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
};
