import { uniqueKeyPrefix } from '@td7x/testing';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { STORAGE_MODULE } from './processes/spawn.ts';
import { connect, dropPrefix, sharedRedisUrl } from './support.ts';

// The process scenarios every adapter runs, with this package's storage module.
const prefix = uniqueKeyPrefix('harness');
let redis: Redis;
beforeAll(async () => {
  redis = await connect(sharedRedisUrl());
});
afterAll(async () => {
  await dropPrefix(redis, prefix);
  await redis.quit();
});

describeProcessSuite('redis', () => ({
  storageModule: STORAGE_MODULE,
  namespace: () => ({ TEST_REDIS_URL: sharedRedisUrl(), DX_PREFIX: prefix }),
  read: (_env, runId) => redisStorage({ client: ioredisClient(redis), prefix }).read(runId),
}));
