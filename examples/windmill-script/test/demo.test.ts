import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The example as its user runs it: `npm start` (Bun on src/demo.ts), on a database of its own.
 * The demo waits for the dead job's lease (30 s, the core's default, which the quick start keeps),
 * as a Windmill retry delay would.
 */
const here = fileURLToPath(new URL('..', import.meta.url));
const bun = join(dirname(createRequire(import.meta.url).resolve('bun/package.json')), 'bin', 'bun.exe');
const database = `dx_example_windmill_${process.pid}`;
const server = process.env.TEST_POSTGRES_URL as string;
const admin = new pg.Client({ connectionString: server });
beforeAll(async () => {
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
});
afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

const start = (fileId: string): Promise<{ code: number | null; out: string }> => {
  const url = new URL(server);
  url.pathname = `/${database}`;
  const [command, ...args] = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).scripts.start.split(
    ' ',
  );
  expect(command).toBe('bun');
  const demo = spawn(bun, [...args, fileId], {
    cwd: here,
    env: { ...process.env, DATABASE_URL: url.href },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  demo.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve) => demo.on('close', (code) => resolve({ code, out })));
};

/** The lines each numbered job printed (its title line, then its own). */
const byJob = (out: string): string[][] =>
  out
    .split(/^(?=\d\. )/m)
    .slice(1)
    .map((part) => part.trim().split('\n'));

it('npm start: a job killed in its upload, retried as a new job, skips finished steps and runs the pending cleanup', async () => {
  const { code, out } = await start('file-example');
  expect(code, out).toBe(0);
  const [first, early, retry, rerun] = byJob(out) as [string[], string[], string[], string[]];
  const effects = (lines: string[]) =>
    lines.filter((l) => l.startsWith('   [job')).map((l) => l.replace(/^ {3}\[job \w+\] /, ''));
  expect(effects(first)).toEqual([
    'download file-example',
    'process /tmp/file-example.bin',
    'upload s3://bucket/file-example.json',
    'killed in the middle of the upload (SIGKILL)',
  ]);
  expect(first).toContain('   → killed (SIGKILL)');
  expect(effects(early)).toEqual([]);
  expect(early.join('\n')).toMatch(/→ failed: run "file-example" is busy: another owner's lease runs until/);
  // The retry: download and process skipped, the dead job's pending cleanup first, then the upload.
  expect(effects(retry)).toEqual([
    'rollback_upload: delete s3://bucket/file-example.json, which the dead job may have half uploaded',
    'upload s3://bucket/file-example.json',
  ]);
  const result = '{"fileId":"file-example","uploadedUrl":"s3://bucket/file-example.json"}';
  expect(retry).toContain(`   → completed: ${result}`);
  expect(effects(rerun)).toEqual([]);
  expect(rerun).toContain(`   → completed: ${result}`);
}, 120_000);

it('script.ts is the README quick start, but for the import of what it leaves to you', () => {
  const readme = readFileSync(join(here, '../../packages/storage-windmill/README.md'), 'utf8');
  const block = /<!-- quick-start: windmill -->\n```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
  const script = readFileSync(join(here, 'src/script.ts'), 'utf8').replace(/^(\/\/.*\n)+/, '');
  expect(script.trimEnd()).toBe(
    `import { deleteFromCdn, processFile, uploadToCdn } from './world.ts';\n${block}`,
  );
});
