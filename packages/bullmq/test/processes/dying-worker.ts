/**
 * A worker that takes the job, says so on stdout when it is inside `ship`, and stays there until
 * the test kills it with SIGKILL.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { durableProcessor } from '../../src/index.ts';
import { storageOn } from '../support/redis.ts';
import { LEASE_MS, type ShippingData, shipping, shippingCleanups } from './shipping.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const url = env('TEST_REDIS_URL');
const storageRedis = new Redis(url, {
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  lazyConnect: true,
});
await storageRedis.connect();
const storage = storageOn(storageRedis, env('DX_STORAGE_PREFIX'));
const logKey = env('DX_LOG_KEY');

new Worker<ShippingData>(
  env('DX_QUEUE'),
  durableProcessor<ShippingData>({
    storage,
    runId: (job) => `order:${job.data.order}`,
    cleanups: shippingCleanups(storageRedis, logKey),
    load: { leaseMs: LEASE_MS },
  })(
    shipping(storageRedis, logKey, async () => {
      process.stdout.write('inside ship\n');
      await new Promise(() => {}); // until SIGKILL
    }),
  ),
  {
    connection: new Redis(url, { maxRetriesPerRequest: null }),
    prefix: env('DX_BULL_PREFIX'),
    // Every worker of a queue must agree on these: the first stalled check sets a guard key that
    // holds the others' checks off for `stalledInterval`.
    lockDuration: 1_000,
    stalledInterval: 500,
  },
);
process.stdout.write('worker ready\n');
