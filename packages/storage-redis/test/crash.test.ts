import { fileURLToPath } from 'node:url';
import { uniqueKeyPrefix } from '@td7x/testing';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { connect, dropPrefix, rawReader, sharedRedisUrl } from './support.ts';

// The process scenarios every adapter runs (SIGKILL in and out of the risky window, then a
// resume; 16 processes racing on one run id), with this package's storage module.
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
  storageModule: fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url)),
  namespace: () => ({ TEST_REDIS_URL: sharedRedisUrl(), DX_PREFIX: prefix }),
  raw: () => rawReader(redis, prefix),
}));
