import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobResult, runJob, type StandIn, startStandIn } from '../src/local/index.ts';
import { type FreshDatabase, freshDatabase } from './support/db.ts';
import { rawReader } from './support/harness.ts';

const storageModule = fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url));
const lateEnv = fileURLToPath(new URL('./crash/late-env.ts', import.meta.url));
const oneRun = fileURLToPath(new URL('./jobs/one-run.ts', import.meta.url));
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

  it('a job without BASE_INTERNAL_URL, WM_TOKEN or WM_WORKSPACE fails naming it, before any request', async () => {
    const job = (runId: string, env: Record<string, undefined>): Promise<JobResult> =>
      runJob(standIn, oneRun, [runId], {
        env,
        cwd: REPO_ROOT, // `--import tsx` resolves from there
        execArgv: ['--conditions=@td7x/source', '--import', 'tsx'],
        stdio: 'pipe',
      }).result;
    const variables = ['BASE_INTERNAL_URL', 'WM_TOKEN', 'WM_WORKSPACE'] as const;
    const before = standIn.requests();
    const results = await Promise.all(variables.map((v) => job(`env/${v}`, { [v]: undefined })));
    results.forEach((result, k) => {
      expect(result).toMatchObject({
        status: 'failed',
        error: { name: 'DurableXError', error: { type: 'StorageUnavailable', op: 'claim' } },
      });
      const message = result.status === 'failed' ? result.error.message : '';
      expect(message).toContain(`windmill storage: ${variables[k]} is not set`);
    });
    expect(standIn.requests()).toBe(before);
    // With all three the same job completes.
    expect(await job('env/all', {})).toEqual({
      status: 'completed',
      result: { runId: 'env/all', attempt: 1 },
    });
  }, 60_000);
});

// The same process scenarios every adapter runs, here as Windmill jobs talking to the stand-in.
describeProcessSuite('windmill', () => ({
  storageModule,
  namespace: () => standIn.jobEnv('job'),
  raw: () => rawReader(db),
}));
