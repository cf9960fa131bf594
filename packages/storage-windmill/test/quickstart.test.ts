import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIn, startStandIn } from '../src/local/index.ts';
import { type FreshDatabase, freshDatabase } from './support/db.ts';
import { rawReader } from './support/harness.ts';
import { effectsOf, newJobId, newLedger, startJob, waitForEffect } from './support/jobs.ts';

/**
 * The product's original quick start, run as written (test/quickstart/script.ts, the README's quick
 * start) in Windmill-like jobs: separate processes with a job's environment, whose windmill-client talks to the stand-in of Windmill's API
 * over loopback HTTP, the SQL running on a real PostgreSQL. Nothing is mocked inside the process
 * but the script's own outside world (the file API, the CDN).
 *
 * The dead job's 30 s lease (the core's default, which the script does not change) is
 * fast-forwarded in the database before the resuming job starts: that stands for Windmill's retry
 * delay or zombie timeout, without waiting 30 s. A job started before that gets RunBusy, as shown.
 */
let db: FreshDatabase;
let standIn: StandIn;
beforeAll(async () => {
  db = await freshDatabase('quickstart');
  standIn = await startStandIn({ datatables: { main: db.url } });
});
afterAll(async () => {
  await standIn?.close();
  await db?.drop();
});

const expireLease = (runId: string) =>
  db.admin.query('UPDATE public.durable_x_runs SET lease_expires_at = 0 WHERE run_id = $1', [runId]);

const claimOwners = (runId: string): string[] =>
  standIn.log
    .filter((r) => r.content.includes('_claim"(') && r.args.arg1 === runId)
    .map((r) => String(r.args.arg2));

describe('the quick start as a Windmill script', () => {
  it("is the README's quick start, character for character", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /<!-- quick-start: windmill -->\n```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
    const script = readFileSync(new URL('./quickstart/script.ts', import.meta.url), 'utf8');
    expect(block).toBe(script.replace(/^(\/\/.*\n)+/, '').trimEnd());
  });

  it('killed mid-upload, then retried as a new job: skips download and process, runs rollback_upload, uploads again', async () => {
    const fileId = 'file-42';
    const ledger = newLedger();
    const before = standIn.requests();
    const first = startJob({
      label: 'job-1',
      env: standIn.jobEnv(newJobId()),
      ledger,
      fileId,
      hangInUpload: true,
    });
    await waitForEffect(ledger, first, 'upload');
    const firstRequests = standIn.requests() - before;
    first.process.kill('SIGKILL');
    expect(await first.outcome).toEqual({ kind: 'killed' });
    expect(effectsOf(ledger, 'job-1')).toEqual(['step:download', 'step:process', 'step:upload']);
    // What the killed job left: two memoized steps and the pending cleanup, the run still leased.
    const left = await rawReader(db).readRun(fileId);
    expect(left).toMatchObject({ status: 'running', cleanupNames: ['rollback_upload'] });
    expect(left?.stepKeys.map((k) => k.split('#')[0]).sort()).toEqual(['download', 'process']);

    // Retried at once (a new job id): the dead job's lease is still live.
    const tooEarly = startJob({ label: 'job-2', env: standIn.jobEnv(newJobId()), ledger, fileId });
    expect(await tooEarly.outcome).toMatchObject({ kind: 'error', type: 'RunBusy' });

    await expireLease(fileId);
    const beforeRetry = standIn.requests();
    const retry = startJob({ label: 'job-3', env: standIn.jobEnv(newJobId()), ledger, fileId });
    expect(await retry.outcome).toEqual({
      kind: 'completed',
      result: { fileId, uploadedUrl: `s3://bucket/${fileId}.json` },
    });
    const retryRequests = standIn.requests() - beforeRetry;
    expect(effectsOf(ledger, 'job-3')).toEqual(['cleanup:rollback_upload', 'step:upload']);
    expect(await rawReader(db).readRun(fileId)).toMatchObject({
      status: 'completed',
      owner: null,
      cleanupNames: [],
    });

    // A manual re-run of the finished file (another new job) replays: nothing runs again.
    const replay = startJob({ label: 'job-4', env: standIn.jobEnv(newJobId()), ledger, fileId });
    expect(await replay.outcome).toMatchObject({ kind: 'completed' });
    expect(effectsOf(ledger, 'job-4')).toEqual([]);

    console.info(
      'quick start HTTP requests:',
      JSON.stringify({ firstJobUntilKilled: firstRequests, retryJob: retryRequests }),
    );
    // First job: claim (fails: no tables) + create tables + claim, download, process, beforeRisky.
    expect(firstRequests).toBe(6);
    // Retry: claim, rollback after the cleanup ran, beforeRisky, upload, afterSafe, complete.
    expect(retryRequests).toBe(6);
  }, 180_000); // several job processes that compile TypeScript at start, on a small machine

  it('killed mid-upload, recorded failed by Windmill, retried at once: the retry takes over without waiting', async () => {
    const fileId = 'file-retried-at-once';
    const ledger = newLedger();
    const firstId = newJobId();
    standIn.setJob(firstId, 'running');
    const first = startJob({
      label: 'job-1',
      env: standIn.jobEnv(firstId),
      ledger,
      fileId,
      hangInUpload: true,
    });
    await waitForEffect(ledger, first, 'upload');
    first.process.kill('SIGKILL');
    expect(await first.outcome).toEqual({ kind: 'killed' });
    // The worker saw its job's process die and recorded the job failed; the lease is still live.
    standIn.setJob(firstId, 'failure');
    const lookups = standIn.jobLookups();
    const retryId = newJobId();
    const retry = startJob({ label: 'job-2', env: standIn.jobEnv(retryId), ledger, fileId });
    expect(await retry.outcome).toEqual({
      kind: 'completed',
      result: { fileId, uploadedUrl: `s3://bucket/${fileId}.json` },
    });
    expect(effectsOf(ledger, 'job-2')).toEqual(['cleanup:rollback_upload', 'step:upload']);
    // One lookup of the dead job, then the claim only from it (the same token as the busy claim).
    expect(standIn.jobLookups() - lookups).toBe(1);
    expect(claimOwners(fileId).map((o) => o.split(':')[1])).toEqual([firstId, retryId, retryId]);
  }, 180_000);

  it('a zombie restart with the same job id takes over from its frozen ghost, which is then fenced off', async () => {
    const fileId = 'file-zombie';
    const ledger = newLedger();
    const jobId = newJobId(); // Windmill restarts a zombie job in place: same WM_JOB_ID
    const ghost = startJob({
      label: 'ghost',
      env: standIn.jobEnv(jobId),
      ledger,
      fileId,
      hangInUpload: true,
    });
    try {
      await waitForEffect(ledger, ghost, 'upload');
      ghost.process.kill('SIGSTOP'); // lost heartbeat: alive, but neither working nor renewing its lease
      await expireLease(fileId);
      const restart = startJob({ label: 'restart', env: standIn.jobEnv(jobId), ledger, fileId });
      expect(await restart.outcome).toMatchObject({ kind: 'completed' });
      expect(effectsOf(ledger, 'restart')).toEqual(['cleanup:rollback_upload', 'step:upload']);

      // The ghost wakes up and finishes its upload: its write is refused, nothing is overwritten.
      ghost.process.kill('SIGCONT');
      writeFileSync(`${ledger}.release`, '');
      expect(await ghost.outcome).toMatchObject({ kind: 'error', type: 'LeaseLost' });
      expect(await rawReader(db).readRun(fileId)).toMatchObject({ status: 'completed', owner: null });

      // Same job id, two owners: the random part of the owner token tells them apart.
      const owners = claimOwners(fileId);
      expect(owners).toHaveLength(2);
      expect(new Set(owners).size).toBe(2);
    } finally {
      ghost.process.kill('SIGKILL');
    }
  }, 180_000); // several job processes that compile TypeScript at start, on a small machine
});
