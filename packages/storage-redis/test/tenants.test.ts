import { uniqueKeyPrefix } from '@td7x/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisClient, type RedisCommands, redisStorage } from '../src/index.ts';
import { connect, dropPrefix, sharedRedisUrl } from './support.ts';
import { checkTenantsApart } from './tenants.ts';

/**
 * Apps sharing one Redis through different `prefix` options never see each other. The
 * namespace of this file is an ioredis keyPrefix, so that the empty prefix is tested without
 * touching the rest of the shared server.
 */
const namespace = uniqueKeyPrefix('redis-tenants');
let redis: Redis;
let scoped: Redis;
beforeAll(async () => {
  redis = await connect(sharedRedisUrl());
  scoped = await connect(sharedRedisUrl(), { keyPrefix: namespace });
});
afterAll(async () => {
  await dropPrefix(redis, namespace);
  await Promise.all([redis.quit(), scoped.quit()]);
});

const keysUnder = async (under: string): Promise<string[]> => {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${under}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.map((key) => key.slice(under.length));
};

const untouchable: RedisCommands = {
  evalsha: () => Promise.reject(new Error('no I/O expected')),
  eval: () => Promise.reject(new Error('no I/O expected')),
};

describe('tenants (prefixes) on one Redis', () => {
  it('never share a key or an index entry, even when one prefix is a prefix of another or empty', async () => {
    await checkTenantsApart(ioredisClient(scoped), () => keysUnder(`${namespace}`), 4);
  });

  it('refuses, before any I/O, a prefix that could move the hash tag or collide once encoded', () => {
    for (const prefix of ['{', '}', 'a{b', 'app}', '{0}:', '\ud800', 'x\udc00']) {
      expect(() => redisStorage({ client: untouchable, prefix }), JSON.stringify(prefix)).toThrow(TypeError);
    }
  });
});
