import { fileURLToPath } from 'node:url';
import { beforeRisky, type Clock, inspectRun, load, type Storage } from '@td7x/durable-x';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.ts';
import { type CliBackend, openCliBackend } from './support/backends.ts';
import { cli, json } from './support/cli.ts';

// `recover` in batches: runs it cannot recover (a cleanup with no runner) come first in age order
// and fill the first batch; the runs after them must still be recovered.

const CLEANUPS = fileURLToPath(new URL('./fixtures/cleanups.mjs', import.meta.url));
let backend: CliBackend;
let opened: { storage: Storage; close: () => Promise<void> };

/** A run abandoned `minutesAgo` minutes ago (its lease long expired), with `cleanup` pending if given. */
const abandon = async (runId: string, minutesAgo: number, cleanup?: string) => {
  const then: Clock = { now: () => Date.now() - minutesAgo * 60_000, every: () => () => {} };
  const cp = await load(opened.storage, { clock: then, leaseMs: 1_000 })({ mystery: () => {} })(runId);
  if (cleanup) await beforeRisky(opened.storage)(cp)(cleanup)({ runId });
};

beforeAll(async () => {
  backend = await openCliBackend('sqlite');
  opened = await backend.open();
  await abandon('stuck-1', 90, 'mystery');
  await abandon('stuck-2', 80, 'mystery');
  await abandon('plain-1', 70);
});
afterAll(async () => {
  await opened?.close();
  await backend?.close();
});

it('recover --batch 2 goes past a first batch it cannot recover', async () => {
  const result = await cli([
    '--storage',
    backend.url,
    'recover',
    '--batch',
    '2',
    '--cleanups',
    CLEANUPS,
    '--json',
  ]);
  expect(result.code).toBe(EXIT.refused);
  const report = json<{ recovered: { runId: string }[]; failed: { runId: string }[] }>(result);
  expect(report.recovered.map((r) => r.runId)).toEqual(['plain-1']);
  expect(report.failed.map((r) => r.runId).sort()).toEqual(['stuck-1', 'stuck-2']);
  expect((await inspectRun(opened.storage)('plain-1'))?.run.status).toBe('compensated');
  // Not compensated: still running, its cleanup pending, for a later recover with the runner.
  const stuck = await inspectRun(opened.storage)('stuck-1');
  expect(stuck?.run.status).toBe('running');
  expect(stuck?.run.attempt).toBeGreaterThan(1); // claimed and released, as the README says
  expect(stuck?.cleanups.map((c) => c.name)).toEqual(['mystery']);
});
