import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { startReaper } from './reaper.ts';

/**
 * A redis-server owned by its caller (a test, the torture campaign), on its own port and data dir,
 * so the caller may kill it.
 * AOF with `appendfsync always`: every acknowledged write is on disk before the reply, so the
 * data survives a SIGKILL and a restart (the shared test server runs without persistence).
 */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** The server's pid now (a restart changes it). */
  pid(): number | undefined;
  /** SIGKILL, as a crash would; `restart` brings it back on the same data. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Kills it if it runs and removes `dir`: call it on every path (an `afterAll`, a `finally`). */
  close(): Promise<void>;
}

export const startPrivateRedis = async (dir: string): Promise<PrivateRedis> => {
  const port = await freePort();
  // If this process dies before `close`, the reaper kills the server the pid file names then.
  const reaper = startReaper({
    pidFiles: [{ file: join(dir, 'redis.pid'), program: 'redis-server' }],
    remove: [dir],
  });
  let server = await launch(port, dir);
  const kill = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    pid: () => server.pid,
    kill,
    async restart() {
      server = await launch(port, dir);
    },
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
      reaper.dismiss();
    },
  };
};

const launch = async (port: number, dir: string): Promise<ChildProcess> => {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--pidfile', join(dir, 'redis.pid'));
  const persistence = ['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes'];
  const server = spawn('redis-server', [...args, ...persistence], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    server.once('error', (error) => reject(new Error(`redis-server could not start: ${error.message}`)));
    server.once('exit', (code) => reject(new Error(`redis-server exited with ${code} on port ${port}`)));
  });
  failed.catch(() => {});
  await Promise.race([failed, answers(port)]);
  return server;
};

const answers = async (port: number): Promise<void> => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  throw new Error(`redis-server on ${port} did not answer`);
};
