import { randomUUID } from 'node:crypto';
import { durable, load, manualClock, ownerIdentity, parseOwner } from '@td7x/durable-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datatableStorage, windmillJobLiveness } from '../src/index.ts';
import { type JobState, type StandIn, startStandIn, useStandIn } from '../src/local/index.ts';
import { type FreshDatabase, freshDatabase } from './support/db.ts';

/*
 * The Windmill liveness check through the real windmill-client, against the stand-in's job route
 * (windmill-api `get_job`: `GET /api/w/{workspace}/jobs_u/get/{id}`), and through the core.
 */
let db: FreshDatabase;
let standIn: StandIn;
beforeAll(async () => {
  db = await freshDatabase('liveness');
  standIn = await startStandIn({ datatables: { main: db.url } });
  useStandIn(standIn);
});
afterAll(async () => {
  await standIn?.close();
  await db?.drop();
});

const jobEnv = (jobId: string) => ({ WM_JOB_ID: jobId, WM_WORKSPACE: standIn.workspace });
const tokenOf = (jobId: string) => `${ownerIdentity('wm', jobId)}:${randomUUID()}`;
const signal = () => new AbortController().signal;

describe('windmillJobLiveness', () => {
  it.each<[JobState, string]>([
    ['running', 'alive'],
    ['queued', 'unknown'],
    ['success', 'dead'],
    ['failure', 'dead'],
    ['canceled', 'dead'],
  ])('answers for a job that is %s: %s', async (state, answer) => {
    const owner = randomUUID();
    standIn.setJob(owner, state);
    const check = windmillJobLiveness({ env: jobEnv(randomUUID()) });
    const before = standIn.jobLookups();
    expect(await check.check(tokenOf(owner), signal())).toBe(answer);
    expect(standIn.jobLookups() - before).toBe(1);
  });

  it('answers unknown for a job Windmill does not know, or when the API fails', async () => {
    const check = windmillJobLiveness({ env: jobEnv(randomUUID()) });
    expect(await check.check(tokenOf(randomUUID()), signal())).toBe('unknown');
    const broken = windmillJobLiveness({
      env: jobEnv(randomUUID()),
      getJob: () => Promise.reject(new Error('ECONNREFUSED')),
    });
    const owner = randomUUID();
    standIn.setJob(owner, 'failure');
    expect(await broken.check(tokenOf(owner), signal())).toBe('unknown');
  });

  it("asks nothing about its own job's runs, another kind of owner, or outside a job", async () => {
    const self = randomUUID();
    standIn.setJob(self, 'failure'); // even so: a zombie restart keeps the job id
    const check = windmillJobLiveness({ env: jobEnv(self) });
    expect(parseOwner(`${check.identity}:${randomUUID()}`)).toMatchObject({ kind: 'wm', fields: [self] });
    const before = standIn.jobLookups();
    for (const owner of [
      tokenOf(self),
      `dx:${randomUUID()}`,
      `${ownerIdentity('wm', 'not-a-uuid')}:${randomUUID()}`,
    ]) {
      expect(await check.check(owner, signal())).toBe('unknown');
    }
    const outside = windmillJobLiveness({ env: {} });
    expect(outside.identity).toBeUndefined();
    expect(await outside.check(tokenOf(randomUUID()), signal())).toBe('unknown');
    expect(standIn.jobLookups()).toBe(before);
  });

  it('cancels its request when the core gives up on it', async () => {
    let cancelled = false;
    const check = windmillJobLiveness({
      env: jobEnv(randomUUID()),
      getJob: () =>
        Object.assign(new Promise<never>(() => {}), {
          cancel: () => {
            cancelled = true;
          },
        }),
    });
    const controller = new AbortController();
    const answer = check.check(tokenOf(randomUUID()), controller.signal);
    controller.abort();
    expect(cancelled).toBe(true);
    void answer;
  });
});

describe('load through windmill storage, right after a job died', () => {
  it("takes over at once the run of a job Windmill recorded completed, and never a running job's", async () => {
    const runId = `file-${randomUUID()}`;
    const [dead, running, next] = [randomUUID(), randomUUID(), randomUUID()];
    const clock = manualClock();
    const jobStorage = (jobId: string) =>
      datatableStorage({ liveness: windmillJobLiveness({ env: jobEnv(jobId) }) });
    // Job `dead` loads the run, records a step, and its process is killed: its lease stays live.
    const first = jobStorage(dead);
    const cp = await load(first, { clock: manualClock(clock.now()) })({})(runId);
    await durable(first)(cp)('download')(1)(() => 'bytes');
    standIn.setJob(dead, 'running');
    await expect(load(jobStorage(next), { clock })({})(runId)).rejects.toMatchObject({
      error: { type: 'RunBusy' },
    });
    // Windmill records the job failed once its worker saw the process die.
    standIn.setJob(dead, 'failure');
    const retry = jobStorage(next);
    const resumed = await load(retry, { clock })({})(runId);
    expect(resumed.attempt).toBe(2);
    expect(await durable(retry)(resumed)('download')(1)(() => 'again')).toBe('bytes');
    await expect(durable(first)(cp)('process')(1)(() => 'late')).rejects.toMatchObject({
      error: { type: 'LeaseLost' },
    });

    // A run held by a job that still runs is left alone.
    const otherRun = `file-${randomUUID()}`;
    await load(jobStorage(running), { clock: manualClock(clock.now()) })({})(otherRun);
    standIn.setJob(running, 'running');
    await expect(load(jobStorage(next), { clock })({})(otherRun)).rejects.toMatchObject({
      error: { type: 'RunBusy' },
    });
  });
});
