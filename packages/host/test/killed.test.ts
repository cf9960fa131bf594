import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectRun, manualClock } from '@td7x/durable-x';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { createHost, type WorkflowContext } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'dx-host-killed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('resumes the run of a host process killed with SIGKILL inside a step', async () => {
  const file = join(dir, 'runs.db');
  const fixture = fileURLToPath(new URL('./fixtures/dying-host.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', fixture, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (text.includes('charging')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the child exited (${code}) before charging`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;

  const storage = sqliteStorage(new Database(file));
  const stored = await inspectRun(storage)('killed');
  expect(stored?.run.status).toBe('running');
  // Past the dead process's lease, by the clock rather than by waiting.
  const clock = manualClock((stored?.run.leaseExpiresAt ?? 0) + 1);
  const effects: string[] = [];
  const host = createHost({
    storage,
    clock,
    cleanups: { refund: (p) => void effects.push(`refund ${p.amount}`) },
  });
  host.register(
    'pay',
    async ({ step, beforeRisky, afterSafe, input }: WorkflowContext<{ amount: number }>) => {
      await step('reserve')()(() => effects.push('reserve'));
      await beforeRisky('refund')({ amount: input.amount });
      await step('charge')()(() => effects.push('charge'));
      await afterSafe('refund');
      return 'paid';
    },
  );
  const { outcomes } = await host.poll();
  expect(outcomes).toEqual([
    { runId: 'killed', workflow: 'pay', status: 'completed', value: 'paid', replay: false },
  ]);
  expect(effects).toEqual(['refund 5', 'charge']);
  await host.stop();
});
