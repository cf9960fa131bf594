/**
 * One Windmill job running the quick start script, in its own process:
 *   node --conditions=@td7x/source --import tsx job.ts
 * (on Bun, when the tests run there: `process.execPath` is then Bun, which runs it the same way)
 * with a Windmill job's environment (WM_JOB_ID, WM_WORKSPACE, WM_TOKEN, BASE_INTERNAL_URL pointing
 * at the stand-in). It provides the script's outside world (the file API behind `fetch`, the CDN,
 * `processFile`), records every effect in the ledger, runs `main(fileId)` and prints one outcome line.
 * With DX_HANG_IN_UPLOAD=1 the upload waits (after its effect is recorded) until the file
 * `<ledger>.release` exists: the test kills or freezes the job there.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DurableXError } from '@td7x/durable-x';
import { appendEffect } from '@td7x/testing';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`quick start job: ${name} is not set`);
  return value;
};
const ledger = required('DX_LEDGER');
const fileId = required('DX_FILE_ID');
const label = process.env.DX_JOB_LABEL ?? required('WM_JOB_ID');
const effect = (kind: 'step' | 'cleanup', name: string) =>
  appendEffect(ledger, { child: label, pid: process.pid, kind, name });

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const file = /^https:\/\/api\.example\.com\/files\/(.+)$/.exec(url);
  if (!file) return realFetch(input, init); // windmill-client's own requests go to the stand-in
  effect('step', 'download');
  return Response.json({ path: `/tmp/dx-quickstart/${decodeURIComponent(file[1] ?? '')}.bin` });
};
const world = globalThis as unknown as Record<string, unknown>;
world.processFile = async (path: string) => {
  effect('step', 'process');
  return { path, bytes: 42 };
};
world.uploadToCdn = async (_data: unknown, url: string) => {
  effect('step', 'upload');
  if (process.env.DX_HANG_IN_UPLOAD === '1') while (!existsSync(`${ledger}.release`)) await sleep(25);
  return { url };
};
world.deleteFromCdn = async (_url: string) => {
  effect('cleanup', 'rollback_upload');
};

const report = (outcome: unknown, code: number) =>
  process.stdout.write(`DX_JOB_OUTCOME ${JSON.stringify(outcome)}\n`, () => process.exit(code));

const { main } = await import('./script.ts');
main(fileId).then(
  (result) => report({ kind: 'completed', result }, 0),
  (error: unknown) =>
    report(
      error instanceof DurableXError
        ? { kind: 'error', type: error.error.type, message: error.message }
        : { kind: 'error', type: 'thrown', message: String((error as Error)?.stack ?? error) },
      1,
    ),
);
