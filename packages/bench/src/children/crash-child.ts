/**
 * One process of the crash-recovery measurement (forked with IPC by sections/crash.ts).
 *   argv: <lib: dx | dbos> <phase: first | resume> <runId> <mode: lease | release>
 * It reports every step body it starts ({ body: i }); in the first phase it hangs inside the
 * body of step KILL_AT ({ hung: i }) so the parent can SIGKILL it mid-step; in the resume phase it
 * sends { result, at } once the workflow's result is known, then exits. `ready` and `at` are ms
 * since the process started (performance.now()): `ready` once the library is imported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { complete, DurableXError, durable, load, type Storage } from '@td7x/durable-x';
import { postgresStorage } from '@td7x/durable-x-postgres';
import pg from 'pg';
import { stepOutput } from '../output.ts';
import { DX_DATABASE, postgresUrl, withDatabase } from '../services.ts';

export const STEPS = 100;
export const KILL_AT = 50;
export const CRASH_LEASE_MS = 1000;

const [lib, phase, runId, mode] = process.argv.slice(2) as [string, 'first' | 'resume', string, string];
const send = (message: unknown): Promise<void> =>
  new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

const body = async (i: number) => {
  await send({ body: i });
  if (phase === 'first' && i === KILL_AT) {
    await send({ hung: i });
    await new Promise(() => setInterval(() => {}, 60_000));
  }
  return stepOutput(i);
};

const dxAttempt = async (storage: Storage): Promise<number> => {
  const cp = await load(storage, { leaseMs: CRASH_LEASE_MS })({})(runId);
  const step = durable(storage)(cp);
  let sum = 0;
  for (let i = 0; i < STEPS; i++) sum += (await step(`s${i}`)(i)(() => body(i))).i;
  await complete(storage)(cp);
  return sum;
};

/**
 * `lease`: a plain retry, which waits out the dead owner's lease (RunBusy says until when).
 * `release`: a supervisor that saw the previous process die releases its lease first (one
 * `read` for the owner token, one `setLease` with expiry 0, as a failed step does), then loads.
 */
const dx = async (): Promise<number> => {
  // Static imports (core, adapter, pg) are loaded by now.
  await send({ ready: performance.now() });
  const pool = new pg.Pool({ connectionString: withDatabase(postgresUrl(), DX_DATABASE), max: 4 });
  const storage = postgresStorage({ pool });
  try {
    if (phase === 'resume' && mode === 'release') {
      const snapshot = await storage.read(runId);
      const owner = snapshot?.run.owner;
      if (owner) await storage.setLease({ runId, owner, leaseExpiresAt: 0, now: Date.now() });
    }
    for (;;) {
      try {
        return await dxAttempt(storage);
      } catch (error) {
        if (!(error instanceof DurableXError) || error.error.type !== 'RunBusy') throw error;
        await sleep(Math.max(1, error.error.leaseExpiresAt - Date.now() + 1));
      }
    }
  } finally {
    await pool.end();
  }
};

const dbos = async (): Promise<number> => {
  const { configureDbos, DBOS, DBOS_DATABASE, dbosTimings, dbosWorkflow } = await import('../dbos.ts');
  await send({ ready: performance.now() });
  configureDbos(withDatabase(postgresUrl(), DBOS_DATABASE), 4);
  dbosTimings.onBody = async (i) => void (await body(i));
  await DBOS.launch();
  try {
    if (phase === 'first')
      return await (await DBOS.startWorkflow(dbosWorkflow, { workflowID: runId })(STEPS)).getResult();
    // Launch re-enqueued the pending workflow of this executor; wait for its result.
    return await DBOS.retrieveWorkflow<number>(runId).getResult();
  } finally {
    await DBOS.shutdown();
  }
};

const result = await (lib === 'dbos' ? dbos() : dx());
await send({ result, at: performance.now() });
process.exit(0);
