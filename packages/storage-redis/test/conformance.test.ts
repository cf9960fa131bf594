import { describeConformance } from '@td7x/durable-x-testkit';
import { uniqueKeyPrefix } from '@td7x/testing';
import type { Redis } from 'ioredis';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { connect, counting, dropPrefix, rawReader, sharedRedisUrl } from './support.ts';

/** The suite on the shared server, on a fresh key prefix, with `buckets` hash slots. */
const harness = (buckets: number) => async () => {
  const prefix = uniqueKeyPrefix(`conformance-${buckets}`);
  const clients: Redis[] = [];
  const open = async () => {
    const redis = await connect(sharedRedisUrl());
    clients.push(redis);
    return redis;
  };
  const main = await open();
  const counted = counting(ioredisClient(main));
  return {
    storage: redisStorage({ client: counted.commands, prefix, buckets }),
    reopen: async () => redisStorage({ client: ioredisClient(await open()), prefix, buckets }),
    raw: rawReader(main, prefix, buckets),
    roundTrips: counted.count,
    close: async () => {
      await dropPrefix(main, prefix);
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
};

describeConformance('redis', harness(16));
describeConformance('redis, one bucket', harness(1));
