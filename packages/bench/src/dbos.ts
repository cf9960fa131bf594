import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import { stepOutput } from './output.ts';
import { nowMs } from './stats.ts';

export { DBOS_DATABASE } from './services.ts';

let queries = 0;
let commits = 0;
/** SQL statements DBOS sent through its pooled clients so far, and how many were COMMITs. */
export const dbosQueries = (): { statements: number; commits: number } => ({ statements: queries, commits });

const textOf = (query: unknown): string =>
  typeof query === 'string' ? query : String((query as { text?: unknown } | null)?.text ?? '');

/** Counts every statement of a pooled client, so DBOS's requests per workflow can be reported. */
const countingPool = (connectionString: string, max: number): pg.Pool => {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      queries++;
      if (/^\s*commit\b/i.test(textOf(args[0]))) commits++;
      return query(...args);
    };
  });
  return pool;
};

export const configureDbos = (systemDatabaseUrl: string, poolSize = 20): void => {
  DBOS.setConfig({
    name: 'dx-bench',
    systemDatabaseUrl,
    systemDatabasePool: countingPool(systemDatabaseUrl, poolSize),
    logLevel: 'error',
  });
};

/** Per-step timings land here (one workflow at a time is timed). */
export const dbosTimings: {
  onStep?: (ms: number) => void;
  onBody?: (i: number) => Promise<void> | void;
  turn?: () => Promise<() => void>;
} = {};

/** The same workflow as `dxWorkflow`: `steps` sequential steps, each returning a small object. */
export const dbosWorkflow = DBOS.registerWorkflow(
  async (steps: number): Promise<number> => {
    let sum = 0;
    for (let i = 0; i < steps; i++) {
      const done = await dbosTimings.turn?.();
      const started = nowMs();
      const out = await DBOS.runStep(
        async () => {
          await dbosTimings.onBody?.(i);
          return stepOutput(i);
        },
        { name: `s${i}` },
      );
      dbosTimings.onStep?.(nowMs() - started);
      done?.();
      sum += out.i;
    }
    return sum;
  },
  { name: 'benchWorkflow' },
);

let ids = 0;
/** A workflow id unique in this bench process. */
export const dbosWorkflowId = (label: string): string =>
  `${label}:${process.pid}:${Date.now().toString(36)}:${ids++}`;

/** Runs the bench workflow under `id`: the first time it runs, later it answers the recorded result. */
export const dbosRerun = async (id: string, steps: number): Promise<number> =>
  (await DBOS.startWorkflow(dbosWorkflow, { workflowID: id })(steps)).getResult();

export { DBOS };
