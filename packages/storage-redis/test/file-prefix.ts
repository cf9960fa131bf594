import { uniqueKeyPrefix } from '@td7x/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { dropPrefix, FAIL_FAST, sharedRedisUrl } from './support.ts';

/**
 * A test file's own key prefix and a client on the shared server: connected before its tests;
 * after them, every key under the prefix deleted and the client closed.
 */
export const prefixForFile = (label: string): { readonly prefix: string; readonly redis: Redis } => {
  const prefix = uniqueKeyPrefix(label);
  const redis = new Redis(sharedRedisUrl(), { ...FAIL_FAST, lazyConnect: true } satisfies RedisOptions);
  beforeAll(() => redis.connect());
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    await redis.quit();
  });
  return { prefix, redis };
};
