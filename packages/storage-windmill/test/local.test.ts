import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type StandIn, startStandIn } from '../src/local/index.ts';
import { type FreshDatabase, freshDatabase } from './support/db.ts';

/** The local stand-in's own promises to a user: what it needs, what it refuses, what a job is. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const noMain = fileURLToPath(new URL('./jobs/no-main.ts', import.meta.url));

describe('startStandIn: the PostgreSQL is the caller’s', () => {
  it('refuses missing or non-PostgreSQL data tables before opening anything, naming them', async () => {
    await expect(startStandIn(undefined as never)).rejects.toThrow(/datatables is required/);
    await expect(startStandIn({ datatables: {} })).rejects.toThrow(/datatables is required/);
    await expect(startStandIn({ datatables: { main: 'mysql://u:secret@host/db' } })).rejects.toThrow(
      /datatables\.main must be the connection string of a PostgreSQL database you provide.*mysql:\/\/u:\*\*\*@host\/db/,
    );
  });

  it('fails to start when a data table’s database cannot be queried, naming it and hiding the password', async () => {
    const error = await startStandIn({ datatables: { main: 'postgres://u:secret@127.0.0.1:1/db' } }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^windmill stand-in: data table main: cannot query its database postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: /,
    );
    expect((error as Error).message).not.toContain('secret');
  });
});

describe('a started stand-in', () => {
  let db: FreshDatabase;
  let standIn: StandIn;
  beforeAll(async () => {
    db = await freshDatabase('local');
    standIn = await startStandIn({ datatables: { main: db.url } });
  });
  afterAll(async () => {
    await standIn?.close();
    await db?.drop();
  });

  it('serves run_inline only, unless asked: no 127.0.0.2 listener (not on macOS’ loopback by default)', () => {
    expect(standIn.waitResultUrl).toBeUndefined();
    expect(() => standIn.jobEnv('job', 'wait_result')).toThrow(/waitResultRoute/);
    const env = standIn.jobEnv();
    expect(env).toMatchObject({ BASE_INTERNAL_URL: standIn.inlineUrl, WM_WORKSPACE: 'local' });
    expect(env.WM_JOB_ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(standIn.jobEnv().WM_JOB_ID).not.toBe(env.WM_JOB_ID);
  });

  it('runJob: a module without `main` is a failed job that says so', async () => {
    const job = runJob(standIn, noMain, [], {
      cwd: REPO_ROOT,
      execArgv: ['--conditions=@td7x/source', '--import', 'tsx'],
      stdio: 'pipe',
    });
    expect(await job.result).toMatchObject({
      status: 'failed',
      error: { name: 'TypeError', message: expect.stringMatching(/no-main\.ts exports no main function$/) },
    });
    expect(job.process.exitCode).toBe(1);
  }, 30_000);
});
