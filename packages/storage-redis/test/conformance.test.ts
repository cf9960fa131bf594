import { describeConformance } from '@td7x/durable-x-testkit';
import { uniqueKeyPrefix } from '@td7x/testing';
import type { Redis } from 'ioredis';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { connect, counting, dropPrefix, rawReader, sharedRedisUrl } from './support.ts';

describeConformance('redis', async () => {
  const prefix = uniqueKeyPrefix('conformance');
  const clients: Redis[] = [];
  const open = async () => {
    const redis = await connect(sharedRedisUrl());
    clients.push(redis);
    return redis;
  };
  const main = await open();
  const counted = counting(ioredisClient(main));
  return {
    storage: redisStorage({ client: counted.commands, prefix }),
    reopen: async () => redisStorage({ client: ioredisClient(await open()), prefix }),
    raw: rawReader(main, prefix),
    roundTrips: counted.count,
    close: async () => {
      await dropPrefix(main, prefix);
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
});
