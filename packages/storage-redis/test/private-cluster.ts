import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startReaper } from '@td7x/testing/reaper';

/**
 * A throw-away Redis Cluster of three masters (no replicas, no persistence) owned by one test
 * file, so the scripts are proven to keep to one hash slot (a cluster refuses CROSSSLOT).
 */
export interface PrivateCluster {
  readonly nodes: readonly { host: string; port: number }[];
  stop(): Promise<void>;
}

const run = promisify(execFile);

export const startPrivateCluster = async (): Promise<PrivateCluster> => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-redis-cluster-'));
  const ports: number[] = [];
  // The cluster bus listens on port + 10000, so ports must stay at or below 55535.
  while (ports.length < 3) {
    const port = await freePort();
    if (port <= 55535 && (await isFree(port + 10_000)) && !ports.includes(port)) ports.push(port);
  }
  // If this test process dies before `stop`, the reaper kills the nodes and removes their folder.
  const pidFile = (port: number) => join(dir, `redis-${port}.pid`);
  const reaper = startReaper({
    pidFiles: ports.map((port) => ({ file: pidFile(port), program: 'redis-server' })),
    remove: [dir],
  });
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--pidfile',
        pidFile(port),
      ],
      { cwd: dir, stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      servers.map((s) =>
        s.exitCode === null ? new Promise((resolve) => s.once('exit', resolve).kill('SIGKILL')) : null,
      ),
    );
    rmSync(dir, { recursive: true, force: true });
    reaper.dismiss();
  };
  try {
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await waitFor(async () =>
      (await Promise.all(ports.map((p) => cli(p, 'ping')))).every((r) => r === 'PONG'),
    );
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () =>
      (await Promise.all(ports.map((p) => cli(p, 'cluster', 'info')))).every((r) =>
        r.includes('cluster_state:ok'),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
};

const cli = async (port: number, ...args: string[]): Promise<string> => {
  try {
    return (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();
  } catch {
    return '';
  }
};

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the private Redis Cluster did not come up');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const listenOn = (port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

export const freePort = (): Promise<number> => listenOn(0);

const isFree = (port: number): Promise<boolean> =>
  listenOn(port).then(
    () => true,
    () => false,
  );
