import { spawn } from 'node:child_process';
import { complete, durable, load, type Storage } from '@td7x/durable-x';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CliBackend, openCliBackend } from './support/backends.ts';
import { CLI_COMMAND } from './support/cli.ts';

// `durable-x export | head`: the reader closes the pipe after a few lines. The command stops
// writing and exits 0, as Unix tools do; it crashed on the unhandled EPIPE before.

let backend: CliBackend;
let opened: { storage: Storage; close: () => Promise<void> };
beforeAll(async () => {
  backend = await openCliBackend('sqlite');
  opened = await backend.open();
  // Far more than a pipe buffer holds (64 KiB), so the writer meets the closed pipe.
  for (let i = 0; i < 200; i++) {
    const cp = await load(opened.storage)({})(`run-${i}`);
    await durable(opened.storage)(cp)('big')(i)(() => 'x'.repeat(4_000));
    await complete(opened.storage)(cp);
  }
});
afterAll(async () => {
  await opened?.close();
  await backend?.close();
});

it('export into a pipe whose reader goes away exits 0, without a crash', async () => {
  const child = spawn(CLI_COMMAND.file, [...CLI_COMMAND.args, '--storage', backend.url, 'export'], {
    cwd: CLI_COMMAND.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // Like `head -1`: read the first line, then close the pipe.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).not.toMatch(/Unhandled 'error' event|EPIPE/);
  expect(code).toBe(0);
});
