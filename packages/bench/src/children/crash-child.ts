/**
 * One process of the crash-recovery measurement (forked with IPC by sections/crash.ts).
 *   argv: <lib: dx | naive | dbos> <phase: first | resume> <runId> <backend: postgres | sqlite> [sqlite file]
 * It reports every step body it starts ({ body: i }); in the first phase it hangs inside the
 * body of step KILL_AT ({ hung: i }) so the parent can SIGKILL it mid-step; in the resume phase it
 * sends { result, at } once the workflow's result is known, then exits. `ready` and `at` are ms
 * since the process started (performance.now()): `ready` once the libraries are imported.
 */
import { complete, durable, load, type Storage } from '@td7x/durable-x';
import { sameHostLiveness } from '@td7x/durable-x/node';
import { postgresStorage } from '@td7x/durable-x-postgres';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { naivePostgres, naiveSqlite, naiveWorkflow } from '../naive.ts';
import { stepOutput } from '../output.ts';
import { DX_DATABASE, postgresUrl, withDatabase } from '../services.ts';

export const STEPS = 100;
export const KILL_AT = 50;

const [lib, phase, runId, backend, file] = process.argv.slice(2) as [
  'dx' | 'naive' | 'dbos',
  'first' | 'resume',
  string,
  'postgres' | 'sqlite',
  string | undefined,
];
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

const sqliteFile = (): string => {
  if (!file) throw new Error('crash child: no sqlite file');
  return file;
};

/**
 * durable-x with the quick start's options (the default 30 s lease) plus the same-host liveness
 * check: the killed predecessor's run is taken over at once, its lease never waited out.
 */
const dx = async (): Promise<number> => {
  await send({ ready: performance.now() });
  const pool =
    backend === 'postgres'
      ? new pg.Pool({ connectionString: withDatabase(postgresUrl(), DX_DATABASE), max: 4 })
      : undefined;
  const db = backend === 'sqlite' ? new Database(sqliteFile()) : undefined;
  const storage: Storage = pool ? postgresStorage({ pool }) : sqliteStorage(db as Database.Database);
  try {
    const cp = await load(storage, { liveness: sameHostLiveness() })({})(runId);
    const step = durable(storage)(cp);
    let sum = 0;
    for (let i = 0; i < STEPS; i++) sum += (await step(`s${i}`)(i)(() => body(i))).i;
    await complete(storage)(cp);
    return sum;
  } finally {
    await pool?.end();
    db?.close();
  }
};

const naive = async (): Promise<number> => {
  await send({ ready: performance.now() });
  const engine =
    backend === 'postgres'
      ? await naivePostgres(withDatabase(postgresUrl(), DX_DATABASE))
      : await naiveSqlite(sqliteFile());
  try {
    return await naiveWorkflow(engine, runId, STEPS, body);
  } finally {
    await engine.close();
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

const result = await (lib === 'dbos' ? dbos() : lib === 'naive' ? naive() : dx());
await send({ result, at: performance.now() });
process.exit(0);
