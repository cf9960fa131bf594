import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The example as its user runs it: `npm start` (node with tsx on src/worker.ts), killed with
 * SIGKILL while it ships order 2, then started again. A database of the shared Redis of its own
 * (the example's queue and prefix are fixed names), emptied before and after.
 */
const url = new URL(process.env.TEST_REDIS_URL as string);
url.pathname = '/13';
const flush = async () => {
  const redis = new Redis(url.href);
  await redis.flushdb();
  redis.disconnect();
};
const workers: ChildProcess[] = [];
beforeAll(flush);
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await flush();
});

const start = () => {
  const worker = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', 'src/worker.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, REDIS_URL: url.href, LEASE_MS: '3000', LOCK_MS: '1000', SHIP_MS: '300' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(worker);
  let out = '';
  worker.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => out.includes(text) && resolve();
      worker.stdout?.on('data', check);
      worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${text}":\n${out}`)));
      check();
    });
  const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
  return { worker, printed, exited, output: () => out };
};

it('a worker killed while it ships is started again: the job resumes, nothing done twice', async () => {
  const first = start();
  await first.printed('order 2: shipping…');
  first.worker.kill('SIGKILL');
  await first.exited;
  expect(first.output()).toContain('order 1: shipped, tracking TRK-1');

  const second = start();
  expect(await second.exited).toBe(0);
  const out = second.output();
  expect(out).toContain('all shipped: TRK-1, TRK-2, TRK-3');
  // Order 2 resumed: its reservation skipped, the label the dead attempt may have made cancelled.
  expect(out).toContain('order 2: attempt 2 of its run');
  expect(out).toContain('ship:2: reserve was done before, skipped');
  expect(out).toContain('order 2: cancel the label the dead attempt may have made');
  expect(out).not.toContain('order 2: reserve stock');
  // Order 1 was done before the crash: not touched again.
  expect(out).not.toContain('order 1:');
  expect(out).toContain('order 3: reserve stock');
});
