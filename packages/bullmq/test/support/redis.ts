import { ioredisClient, redisStorage } from '@td7x/durable-x-redis';
import { uniqueKeyPrefix } from '@td7x/testing';
import { Redis } from 'ioredis';

export const redisUrl = (): string => {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: test/global-setup.ts should have resolved it');
  return url;
};

/**
 * The two connections the README asks for: BullMQ's blocks and must retry forever
 * (`maxRetriesPerRequest: null`); the storage's fails fast (`0`, no offline queue) so that an
 * outage is a typed `StorageUnavailable` and the job is retried by BullMQ.
 */
export const connections = async () => {
  const url = redisUrl();
  const queue = new Redis(url, { maxRetriesPerRequest: null });
  const storageRedis = new Redis(url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    lazyConnect: true,
  });
  await storageRedis.connect();
  return {
    queue,
    storageRedis,
    close: async () => {
      queue.disconnect();
      storageRedis.disconnect();
    },
  };
};

/** A fresh namespace for one test file: BullMQ's key prefix and the storage's. */
export const namespace = (label: string) => {
  const base = uniqueKeyPrefix(`bullmq-${label}`);
  return { bullPrefix: base.slice(0, -1), storagePrefix: `${base}runs:` };
};

export const storageOn = (redis: Redis, prefix: string) =>
  redisStorage({ client: ioredisClient(redis), prefix, completedTtlSeconds: 3600 });
