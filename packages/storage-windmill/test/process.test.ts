import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { countEffects, crashAndResume, REFERENCE_STEPS, race } from '@td7x/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FreshDatabase, freshDatabase } from './support/db.ts';
import { rawReader } from './support/harness.ts';
import { type StandIn, startStandIn } from './support/windmill-stand-in.ts';

const storageModule = fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url));
const lateEnv = fileURLToPath(new URL('./crash/late-env.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let db: FreshDatabase;
let standIn: StandIn;
beforeAll(async () => {
  db = await freshDatabase('process');
  standIn = await startStandIn({ datatables: { main: db.url } });
});
afterAll(async () => {
  await standIn?.close();
  await db?.drop();
});

describe('windmill: real processes, real SIGKILL, through the stand-in', () => {
  it('windmillStorage does nothing at import: a job environment set afterwards is the one used', async () => {
    const { BASE_INTERNAL_URL: _b, WM_TOKEN: _t, WM_WORKSPACE: _w, ...env } = process.env;
    const before = standIn.requests();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@td7x/source', '--import', 'tsx', lateEnv],
      { cwd: REPO_ROOT, env: { ...env, DX_LATE_ENV: JSON.stringify(standIn.jobEnv('late-job')) } },
    );
    expect(stdout).toContain('DX_LATE_ENV_RESULT {"snapshot":null}');
    // read on a fresh data table: it fails (no tables), creates them, reads again.
    expect(standIn.requests() - before).toBe(3);
  }, 60_000);

  it('a run killed inside the risky upload resumes: skips finished steps, cleans up once, redoes the upload', async () => {
    const runId = 'crash/file-42';
    const { first, second, ledger } = await crashAndResume({
      storageModule,
      env: standIn.jobEnv('crash-job'),
      runId,
      killWhen: { inStep: 'upload' },
    });
    expect(first.kind).toBe('killed');
    if (second.kind !== 'completed') throw new Error(`resume did not complete: ${JSON.stringify(second)}`);
    const by = (child: string) => ledger.filter((e) => e.child === child).map((e) => `${e.kind}:${e.name}`);
    expect(by('attempt-2')).toEqual(['cleanup:rollback_upload', 'step:upload', 'step:publish']);
    expect(second.cleanupsRun).toEqual(['rollback_upload']);
    expect(await rawReader(db).readRun(runId)).toMatchObject({
      status: 'completed',
      owner: null,
      cleanupNames: [],
    });
  }, 60_000);

  it('16 job processes race on one run id: exactly one executes each step', async () => {
    const { outcomes, ledger } = await race({
      storageModule,
      env: standIn.jobEnv('race-job'),
      runId: 'race/1',
      processes: 16,
    });
    expect(outcomes.filter((o) => o.kind === 'error')).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'completed')).toHaveLength(1);
    expect(countEffects(ledger, 'step')).toEqual(Object.fromEntries(REFERENCE_STEPS.map((s) => [s, 1])));
    expect(new Set(ledger.map((e) => e.pid)).size).toBe(1);
  }, 120_000);
});
