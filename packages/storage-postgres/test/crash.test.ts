import { fileURLToPath } from 'node:url';
import { countEffects, crashAndResume, REFERENCE_STEPS, race, runToCompletion } from '@td7x/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../src/index.ts';
import { freshSchema, postgresUrl } from './support/db.ts';

const storageModule = fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url));
let db: Awaited<ReturnType<typeof freshSchema>>;
beforeAll(async () => {
  db = await freshSchema('crash');
});
afterAll(async () => {
  await db?.drop();
});
const env = () => ({ TEST_POSTGRES_URL: postgresUrl(), DX_PG_SCHEMA: db.schema });

describe('postgres: real processes, real SIGKILL', () => {
  it('a run killed inside the risky upload resumes: skips finished steps, cleans up once, redoes the upload', async () => {
    const runId = "crash:file-42'; DROP TABLE x; --";
    // The crash-free baseline runs the same run id in a schema of its own.
    const clean = await freshSchema('crash_baseline');
    const baseline = await runToCompletion({
      storageModule,
      env: { ...env(), DX_PG_SCHEMA: clean.schema },
      runId,
    }).finally(() => clean.drop());
    expect(baseline.outcome.kind).toBe('completed');

    const { first, second, ledger } = await crashAndResume({
      storageModule,
      env: env(),
      runId,
      killWhen: { inStep: 'upload' },
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
    // Same result as the crash-free run.
    if (baseline.outcome.kind !== 'completed') throw new Error('unreachable');
    expect(second.output).toEqual(baseline.outcome.output);
    const stored = await postgresStorage({ pool: db.admin, schema: db.schema }).read(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null, attempt: 2 });
    expect(stored?.steps.map((s) => s.name).sort()).toEqual([...REFERENCE_STEPS].sort());
    expect(stored?.cleanups).toEqual([]);
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
