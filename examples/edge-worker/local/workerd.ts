import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** A compatibility date this workerd and Miniflare's both know. */
export const COMPATIBILITY_DATE = '2026-04-01';

export interface Workerd {
  /** Where the worker listens (loopback, a port workerd chose). */
  readonly url: string;
  /** SIGKILL: the process dies with whatever requests it was serving. */
  kill(): Promise<void>;
}

/**
 * The worker's workerd config. By default a worker may not open connections to private or
 * loopback addresses; here its outbound `fetch` goes through a network service that allows
 * `local`, so it reaches the Upstash bridge and the payments stand-in on 127.0.0.1.
 */
const config = (bindings: Record<string, string>, compatibilityFlags: readonly string[]) => `
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["public", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = [${compatibilityFlags.map((flag) => JSON.stringify(flag)).join(', ')}],
  bindings = [
${Object.entries(bindings)
  .map(([name, value]) => `    (name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)}),`)
  .join('\n')}
  ],
  globalOutbound = "loopback",
);
`;

const workerdBinary = (): string => {
  const require = createRequire(import.meta.url);
  return join(require.resolve('workerd/package.json'), '..', 'bin', 'workerd');
};

/** Starts `workerd serve` on the bundled worker; resolves once its socket listens. */
export const startWorkerd = async (options: {
  readonly bundle: string;
  readonly bindings: Record<string, string>;
  readonly compatibilityFlags: readonly string[];
}): Promise<Workerd> => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-edge-worker-'));
  copyFileSync(options.bundle, join(dir, 'worker.js'));
  writeFileSync(join(dir, 'config.capnp'), config(options.bindings, options.compatibilityFlags));

  // --control-fd: workerd writes one JSON line per socket once it listens, with the port it chose.
  const child = spawn(workerdBinary(), ['serve', join(dir, 'config.capnp'), '--control-fd=3'], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`workerd exited (${code ?? signal}) before listening`)),
    );
    createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
      const message = JSON.parse(line) as { event?: string; socket?: string; port?: number };
      if (message.event === 'listen' && message.socket === 'http' && message.port) resolve(message.port);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
