/**
 * A storage module for child processes (our workflow.ts and the shared crash harness of
 * @td7x/testing): its default export builds the storage from the environment (TEST_REDIS_URL,
 * DX_PREFIX), each child with its own connection, and hands back how to close it.
 */
import { ioredisClient, redisStorage } from '../../src/index.ts';
import { connect } from '../support.ts';

export default async () => {
  const url = process.env.TEST_REDIS_URL;
  const prefix = process.env.DX_PREFIX;
  if (!url || !prefix) throw new Error('storage-module: TEST_REDIS_URL and DX_PREFIX must be set');
  const redis = await connect(url);
  return {
    storage: redisStorage({ client: ioredisClient(redis), prefix }),
    close: async () => {
      await redis.quit();
    },
  };
};
