// The Redis storage module of the crash harness and of the torture campaign: each child process
// opens its own connection on TEST_REDIS_URL, under the key prefix DX_PREFIX, failing fast as the
// README recommends. DX_DRIVER_RESEND=1: ioredis with its defaults (it resends every command left
// unanswered when a connection drops) through a TCP proxy that can lose an answer, so the driver
// resends by itself (see `driverResend`).
import type { StorageModule } from '@td7x/testing';
import { Redis } from 'ioredis';
import { ioredisClient, redisStorage } from '../../src/index.ts';
import { connect } from '../support.ts';

const open: StorageModule = async (env = process.env) => {
  const url = env.TEST_REDIS_URL;
  const prefix = env.DX_PREFIX;
  if (!url || !prefix) throw new Error('storage-module: TEST_REDIS_URL and DX_PREFIX must be set');
  if (env.DX_DRIVER_RESEND !== '1') {
    const redis = await connect(url);
    redis.on('error', () => {});
    return {
      storage: redisStorage({ client: ioredisClient(redis), prefix }),
      close: async () => void redis.disconnect(),
    };
  }
  const { startProxy } = await import('@td7x/testing/tcp-proxy');
  const proxy = await startProxy(url.replace(/^redis:/, 'http:'));
  const redis = new Redis(`redis://127.0.0.1:${proxy.port}${new URL(url).pathname}`, {
    lazyConnect: true,
    retryStrategy: () => 10,
  });
  redis.on('error', () => {}); // the cut connection; ioredis reconnects by itself
  await redis.connect();
  // RESP: a script call carries `evalsha` (or `eval`) as its command name.
  const isScript = (chunk: Buffer) => /\r\neval(sha)?\r\n/i.test(chunk.toString('latin1'));
  return {
    storage: redisStorage({ client: ioredisClient(redis), prefix }),
    close: async () => {
      redis.disconnect();
      await proxy.close();
    },
    driverResend: () => {
      const before = proxy.dropped();
      proxy.dropNextAnswer(isScript);
      return () => proxy.dropped() > before;
    },
  };
};
export default open;
