import { fileURLToPath } from 'node:url';
// By path: this package does not declare @td7x/testing as a devDependency (the lockfile is frozen).
import { countEffects, crashAndResume, REFERENCE_STEPS, race, runToCompletion } from '@td7x/testing';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDatabaseFile } from './harness.ts';

const storageModule = fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url));
const removals: Array<() => void> = [];
afterEach(() => {
  for (const remove of removals.splice(0)) remove();
});
const fileEnv = () => {
  const { file, remove } = tempDatabaseFile();
  removals.push(remove);
  return { DX_SQLITE_FILE: file };
};

describe('sqlite: real processes, real SIGKILL', () => {
  it('a run killed inside the risky upload resumes: skips finished steps, cleans up once, redoes the upload', async () => {
    const runId = 'file-42';
    const baseline = await runToCompletion({ storageModule, env: fileEnv(), runId });
    expect(baseline.outcome.kind).toBe('completed');

    const { first, second, ledger } = await crashAndResume({
      storageModule,
      env: fileEnv(),
      runId,
      killWhen: { inStep: 'upload' },
    });
    expect(first.kind).toBe('killed');
    if (second.kind !== 'completed') throw new Error(`resume did not complete: ${JSON.stringify(second)}`);
    const by = (child: string) => ledger.filter((e) => e.child === child).map((e) => `${e.kind}:${e.name}`);

    // attempt 1 got as far as the upload body and was killed there
    const attempt1 = by('attempt-1');
    expect(attempt1.slice(0, 2)).toEqual(['step:fetch', 'step:parse']);
    expect(attempt1.slice(2, 4).sort()).toEqual(['step:metadata', 'step:thumbnail']); // concurrent
    expect(attempt1.slice(4)).toEqual(['step:upload']);
    // (b) the pending cleanup ran exactly once, first; (c) then the rolled-back upload and the rest ran
    expect(by('attempt-2')).toEqual(['cleanup:rollback_upload', 'step:upload', 'step:publish']);
    expect(second.cleanupsRun).toEqual(['rollback_upload']);
    expect(second.attempt).toBe(2);
    // (a) the steps finished before the crash were memoized, not re-run
    const skipped = second.events.filter((e) => e.type === 'step.skipped').map((e) => e.name);
    expect(skipped.sort()).toEqual(['fetch', 'metadata', 'parse', 'thumbnail']);
    // (d) same output as the crash-free run
    expect(second.output).toEqual(
      baseline.outcome.kind === 'completed' ? baseline.outcome.output : undefined,
    );
  }, 60_000);

  // Wherever attempt 1 dies, attempt 2 runs exactly the steps that were not recorded yet.
  it.each(['metadata', 'publish'] as const)(
    'killed inside %s: the resume runs exactly the unrecorded steps',
    async (inStep) => {
      const env = fileEnv();
      let recorded: string[] = [];
      const { first, second, ledger } = await crashAndResume({
        storageModule,
        env,
        runId: `kill-in-${inStep}`,
        killWhen: { inStep },
        betweenAttempts: () => {
          const db = new Database(env.DX_SQLITE_FILE, { readonly: true });
          recorded = db.prepare('SELECT name FROM dx_steps').pluck().all() as string[];
          db.close();
        },
      });
      expect(first.kind).toBe('killed');
      expect(second.kind).toBe('completed');
      expect(recorded).not.toContain(inStep);
      const rerun = ledger.filter((e) => e.child === 'attempt-2' && e.kind === 'step').map((e) => e.name);
      expect(rerun.sort()).toEqual(REFERENCE_STEPS.filter((s) => !recorded.includes(s)).sort());
      // outside the risky window no cleanup is pending, so none runs
      expect(ledger.filter((e) => e.kind === 'cleanup')).toEqual([]);
    },
    60_000,
  );

  it('16 processes race on one run in one file: every step body runs exactly once', async () => {
    const { outcomes, ledger } = await race({
      storageModule,
      env: fileEnv(),
      runId: 'race/1',
      processes: 16,
    });
    const errors = outcomes.filter((o) => o.kind === 'error');
    expect(errors).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'completed')).toHaveLength(1);
    for (const o of outcomes) expect(['completed', 'busy', 'memoized']).toContain(o.kind);
    expect(countEffects(ledger, 'step')).toEqual(Object.fromEntries(REFERENCE_STEPS.map((s) => [s, 1])));
    expect(countEffects(ledger, 'cleanup')).toEqual({});
  }, 120_000); // 16 node processes compiling TypeScript on a small machine
});
