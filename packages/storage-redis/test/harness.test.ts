import { countEffects, crashAndResume, REFERENCE_STEPS, race, uniqueKeyPrefix } from '@td7x/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { STORAGE_MODULE as storageModule } from './processes/spawn.ts';
import { connect, dropPrefix, sharedRedisUrl } from './support.ts';

// The repository's shared crash harness (reference workflow with concurrent steps and a risky
// upload), with this package's storage module: the same scenarios every adapter runs.
const prefix = uniqueKeyPrefix('harness');
let redis: Redis;
beforeAll(async () => {
  redis = await connect(sharedRedisUrl());
});
afterAll(async () => {
  await dropPrefix(redis, prefix);
  await redis.quit();
});
const env = () => ({ TEST_REDIS_URL: sharedRedisUrl(), DX_PREFIX: prefix });

describe('redis with the shared crash harness', () => {
  it('killed inside the risky upload, the run resumes: skips finished steps, cleans up once, redoes the upload', async () => {
    const runId = 'crash:{file}:42';
    const { first, second, ledger } = await crashAndResume({
      storageModule,
      env: env(),
      runId,
      killWhen: { inStep: 'upload' },
    });
    expect(first.kind).toBe('killed');
    if (second.kind !== 'completed') throw new Error(`resume did not complete: ${JSON.stringify(second)}`);
    const by = (child: string) => ledger.filter((e) => e.child === child).map((e) => `${e.kind}:${e.name}`);
    expect(by('attempt-1').slice(0, 2)).toEqual(['step:fetch', 'step:parse']);
    expect(by('attempt-1').slice(2, 4).sort()).toEqual(['step:metadata', 'step:thumbnail']);
    expect(by('attempt-1').slice(4)).toEqual(['step:upload']);
    expect(by('attempt-2')).toEqual(['cleanup:rollback_upload', 'step:upload', 'step:publish']);
    expect(second).toMatchObject({ attempt: 2, cleanupsRun: ['rollback_upload'] });
    const stored = await redisStorage({ client: ioredisClient(redis), prefix }).read(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null, attempt: 2 });
    expect(stored?.steps.map((s) => s.name).sort()).toEqual([...REFERENCE_STEPS].sort());
    expect(stored?.cleanups).toEqual([]);
  }, 60_000);

  it('16 processes race on one run id: exactly one executes each step', async () => {
    const { outcomes, ledger } = await race({ storageModule, env: env(), runId: 'race/{1}', processes: 16 });
    expect(outcomes.filter((o) => o.kind === 'error')).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'completed')).toHaveLength(1);
    for (const o of outcomes) expect(['completed', 'busy', 'memoized']).toContain(o.kind);
    expect(countEffects(ledger, 'step')).toEqual(Object.fromEntries(REFERENCE_STEPS.map((s) => [s, 1])));
    expect(countEffects(ledger, 'cleanup')).toEqual({});
    expect(new Set(ledger.map((e) => e.pid)).size).toBe(1);
  }, 120_000);
});
