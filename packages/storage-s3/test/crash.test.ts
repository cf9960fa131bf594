import { fileURLToPath } from 'node:url';
import { countEffects, crashAndResume, REFERENCE_STEPS, race, runToCompletion } from '@td7x/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Storage } from '../src/index.ts';
import { rawReader } from './raw.ts';
import { type FreshBucket, freshBucket, newClient } from './support.ts';

const storageModule = fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url));
const prefix = 'crash/';
let b: FreshBucket;
beforeAll(async () => {
  b = await freshBucket('crash');
});
afterAll(async () => {
  await b?.drop();
});
const env = () => ({
  TEST_S3_ENDPOINT: process.env.TEST_S3_ENDPOINT ?? '',
  TEST_S3_ACCESS_KEY: process.env.TEST_S3_ACCESS_KEY ?? '',
  TEST_S3_SECRET_KEY: process.env.TEST_S3_SECRET_KEY ?? '',
  TEST_S3_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
  DX_S3_BUCKET: b.bucket,
  DX_S3_PREFIX: prefix,
});

describe('s3: real processes, real SIGKILL', () => {
  it('a run killed inside the risky upload resumes: skips finished steps, cleans up once, redoes the upload', async () => {
    const baseline = await runToCompletion({ storageModule, env: env(), runId: 'baseline:file-42' });
    expect(baseline.outcome.kind).toBe('completed');

    const runId = '../crash/file-42%2F 🚀';
    const raw = rawReader(b, prefix);
    const { first, second, ledger } = await crashAndResume({
      storageModule,
      env: env(),
      runId,
      killWhen: { inStep: 'upload' },
      // What the kill left in the bucket: the cleanup registered, upload not recorded, lease held.
      betweenAttempts: async () => {
        const left = await raw.readRun(runId);
        expect(left).toMatchObject({ status: 'running', cleanupNames: ['rollback_upload'] });
        expect(left?.owner).toEqual(expect.any(String));
        expect(left?.stepKeys).toHaveLength(4);
      },
    });
    expect(first.kind).toBe('killed');
    if (second.kind !== 'completed') throw new Error(`resume did not complete: ${JSON.stringify(second)}`);
    const by = (child: string) => ledger.filter((e) => e.child === child).map((e) => `${e.kind}:${e.name}`);

    const attempt1 = by('attempt-1');
    expect(attempt1.slice(0, 2)).toEqual(['step:fetch', 'step:parse']);
    expect(attempt1.slice(2, 4).sort()).toEqual(['step:metadata', 'step:thumbnail']); // concurrent
    expect(attempt1.slice(4)).toEqual(['step:upload']);
    // The pending cleanup ran exactly once, first; then the rolled-back upload and the rest.
    expect(by('attempt-2')).toEqual(['cleanup:rollback_upload', 'step:upload', 'step:publish']);
    expect(second.cleanupsRun).toEqual(['rollback_upload']);
    expect(second.attempt).toBe(2);
    const skipped = second.events.filter((e) => e.type === 'step.skipped').map((e) => e.name);
    expect(skipped.sort()).toEqual(['fetch', 'metadata', 'parse', 'thumbnail']);
    expect(second.output).toMatchObject({ thumbnail: expect.any(String), published: expect.any(String) });

    const client = newClient();
    const stored = await s3Storage({ client, bucket: b.bucket, prefix }).read(runId);
    client.destroy();
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null, attempt: 2 });
    expect(stored?.steps.map((s) => s.name).sort()).toEqual([...REFERENCE_STEPS].sort());
    expect(stored?.cleanups).toEqual([]);
  }, 60_000);

  it('a run killed between two concurrent steps resumes without running the recorded one again', async () => {
    const runId = 'crash:concurrent';
    const { first, second, ledger } = await crashAndResume({
      storageModule,
      env: env(),
      runId,
      killWhen: { inStep: 'thumbnail' },
    });
    expect(first.kind).toBe('killed');
    if (second.kind !== 'completed') throw new Error(`resume did not complete: ${JSON.stringify(second)}`);
    // Each step's effect happened once per attempt that did not find it recorded.
    const effects = countEffects(ledger, 'step');
    expect(effects.fetch).toBe(1);
    expect(effects.parse).toBe(1);
    expect(effects.thumbnail).toBe(2); // killed inside: not recorded, runs again
    expect(effects.upload).toBe(1);
    expect(effects.publish).toBe(1);
    expect(second.cleanupsRun).toEqual([]);
  }, 60_000);

  it('16 processes race on one run id: exactly one executes each step', async () => {
    const { outcomes, ledger } = await race({ storageModule, env: env(), runId: 'race/1', processes: 16 });
    expect(outcomes.filter((o) => o.kind === 'error')).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'completed')).toHaveLength(1);
    for (const o of outcomes) expect(['completed', 'busy', 'memoized']).toContain(o.kind);
    expect(countEffects(ledger, 'step')).toEqual(Object.fromEntries(REFERENCE_STEPS.map((s) => [s, 1])));
    expect(countEffects(ledger, 'cleanup')).toEqual({});
    const pids = new Set(ledger.map((e) => e.pid));
    expect(pids.size).toBe(1);
  }, 120_000);
});
