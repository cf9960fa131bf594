import { spawn } from 'node:child_process';
import type { Redis } from 'ioredis';
import { freePort } from '../private-cluster.ts';
import { connect } from '../support.ts';

/**
 * A redis-server of the measure's own (no persistence), so that nothing else runs on it while it
 * is timed. `stop` kills it.
 */
export const ownServer = async (): Promise<{ redis: Redis; stop(): void }> => {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const server = spawn('redis-server', args, { stdio: 'ignore' });
  for (let attempt = 0; ; attempt++) {
    try {
      const redis = await connect(`redis://127.0.0.1:${port}/0`, { retryStrategy: () => null });
      return {
        redis,
        stop: () => {
          redis.disconnect();
          server.kill('SIGKILL');
        },
      };
    } catch (error) {
      if (attempt > 100) {
        server.kill('SIGKILL');
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
};
