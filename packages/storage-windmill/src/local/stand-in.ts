/**
 * A loopback stand-in for the part of Windmill's HTTP API that windmill-client's `datatable()`
 * calls, running the SQL on a PostgreSQL the caller provides: a Windmill script that keeps its
 * runs in a data table can run and be tested on a laptop (Bun or Node), and this repository's
 * tests and torture campaign run through it. It is NOT Windmill: it copies the behaviour read in
 * Windmill's sources (windmill-worker pg_executor.rs, windmill-parser-sql, windmill-common
 * SqlResultCollectionStrategy); the package README (Run it locally) lists what it imitates and
 * what it does not.
 *
 * - `POST /api/w/:workspace/jobs/run_inline/preview` (the client's route when BASE_INTERNAL_URL is
 *   localhost or 127.0.0.1) and, with `waitResultRoute`, `POST
 *   /api/w/:workspace/jobs/run_wait_result/preview` (any other host; here 127.0.0.2), body
 *   `{ content, args, language: 'postgresql' }`;
 * - `Authorization: Bearer <token>` and the workspace checked;
 * - `args.database` = `datatable://<name>` picks a database (one per data table);
 * - the leading `-- result_collection=…`, `-- $n argN (TYPE)` and `-- role …` lines are read and
 *   stripped; the script is split into statements, each run on its own (autocommit) on one
 *   connection, with its `$n` renumbered and bound to `args.argN` as the declared type allows
 *   (Windmill binds typed parameters: a string for a BIGINT is an error, as there);
 * - rows become JSON objects (int8 and numeric as numbers, as Windmill does), shaped by the
 *   result collection;
 * - a failed statement answers 500 with the message (text on run_inline, a JSON error on
 *   run_wait_result), which the client turns into a `datatable …` error.
 * Faults can be injected (`fail`) to test outages: a 500 before running, a dropped connection
 * before running, or a dropped connection after the statement committed (a lost reply).
 *
 * It also answers `GET /api/w/:workspace/jobs_u/get/:id` (windmill-client's `JobService.getJob`,
 * windmill-api's `get_job`), from a table of jobs the test sets (`setJob`): a job in the queue is
 * `{ type: 'QueuedJob', running, … }`, a finished one `{ type: 'CompletedJob', success, canceled,
 * … }` (serde's tag `type` on windmill's `Job` enum); an id it does not know answers 404 `Job <id>
 * not found`, a path id that is not a UUID 400, as axum's path extractor does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { checkDatatables, redact } from './options.ts';
import { renumberPlaceholders, statementsOf } from './sql-text.ts';

export type Fault = 'http-500' | 'drop-before' | 'drop-after';

/** A job as the stand-in's job table has it: waiting in the queue, running, or finished. */
export type JobState = 'queued' | 'running' | 'success' | 'failure' | 'canceled';

/** Which of the client's two routes a job uses: see `BASE_INTERNAL_URL` in the README. */
export type Route = 'inline' | 'wait_result';

export interface StandIn {
  /** BASE_INTERNAL_URL for the run_inline route (127.0.0.1). */
  readonly inlineUrl: string;
  /**
   * BASE_INTERNAL_URL for the run_wait_result route (127.0.0.2, not "localhost" to the client),
   * when started with `waitResultRoute`.
   */
  readonly waitResultUrl: string | undefined;
  readonly token: string;
  readonly workspace: string;
  /**
   * Environment of a Windmill job talking to this stand-in: BASE_INTERNAL_URL, WM_TOKEN,
   * WM_WORKSPACE and WM_JOB_ID (a new UUID unless given, as Windmill gives every job).
   */
  jobEnv(jobId?: string, route?: Route): Record<string, string>;
  /** Preview requests received (both routes), including failed ones. */
  requests(): number;
  /** Requests by route. */
  requestsBy(): Readonly<Record<'run_inline' | 'run_wait_result', number>>;
  /** The SQL texts received, in order (for assertions on what the client sent). */
  readonly log: { route: string; content: string; args: Record<string, unknown> }[];
  /** The next `times` preview requests meet `fault`. */
  fail(fault: Fault, times?: number): void;
  /** Puts a job into the job table, or moves it (a job killed by its worker is `failure`). */
  setJob(id: string, state: JobState): void;
  /** `getJob` requests received. */
  jobLookups(): number;
  close(): Promise<void>;
}

export interface StandInOptions {
  /**
   * Data table name → connection string of its PostgreSQL database (`postgres://…`), which you
   * provide: the default data table is `main`. The tables are created there on first use, as on
   * Windmill.
   */
  readonly datatables: Readonly<Record<string, string>>;
  /** The token jobs must present (WM_TOKEN). Default: a random one. */
  readonly token?: string;
  /** The workspace jobs must name (WM_WORKSPACE). Default `local`. */
  readonly workspace?: string;
  /**
   * Also serve the run_wait_result route, on 127.0.0.2 (a loopback address Linux answers on, but
   * macOS only once configured: `sudo ifconfig lo0 alias 127.0.0.2`). Default false.
   */
  readonly waitResultRoute?: boolean;
}

// Windmill's pg executor turns INT8 and NUMERIC into JSON numbers, timestamps into strings.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    if (oid === 1114 || oid === 1184 || oid === 1082) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  },
};

interface Declared {
  readonly name: string;
  readonly type: string;
}

/** Reads the client's leading comment lines: result collection, declared args, role. */
const header = (content: string) => {
  let resultCollection = 'last_statement_all_rows';
  const declared = new Map<number, Declared>();
  const lines = content.split('\n');
  let k = 0;
  for (; k < lines.length; k++) {
    const line = lines[k] ?? '';
    const rc = /^-- result_collection=(\w+)\s*$/.exec(line);
    const arg = /^-- \$(\d+) (\w+)(?: \(([A-Za-z0-9_ [\]]+)\))?\s*$/.exec(line);
    if (rc) resultCollection = rc[1] ?? resultCollection;
    else if (arg)
      declared.set(Number(arg[1]), { name: arg[2] ?? '', type: (arg[3] ?? 'text').toLowerCase() });
    else if (!/^-- role [A-Za-z0-9_-]+\s*$/.test(line)) break;
  }
  return { resultCollection, declared, body: lines.slice(k).join('\n') };
};

class BindError extends Error {}

/** A JSON arg as Windmill would bind it for its declared type, as a value node-postgres sends. */
const bind = (declared: Declared, value: unknown, position: number): unknown => {
  if (value === null || value === undefined) return null;
  const wrong = () =>
    new BindError(
      `Cannot bind arg \`${declared.name}\` (JSON ${typeof value}) as Postgres type \`${declared.type}\`. Try adding an explicit cast in the SQL — e.g. \`$${position}::<column_type>\``,
    );
  switch (declared.type) {
    case 'bigint':
    case 'int8':
    case 'int':
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong();
      return String(value);
    case 'double precision':
    case 'float8':
      if (typeof value !== 'number') throw wrong();
      return String(value);
    case 'boolean':
    case 'bool':
      if (typeof value !== 'boolean') throw wrong();
      return value;
    case 'text':
    case 'varchar':
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
    case 'json':
    case 'jsonb':
      return JSON.stringify(value);
    default:
      throw wrong();
  }
};

/** `SqlResultCollectionStrategy::collect`. */
const collect = (strategy: string, results: Record<string, unknown>[][]): unknown => {
  const lastOnly = strategy.startsWith('last_statement') || (strategy === 'legacy' && results.length === 1);
  const firstRow = strategy.includes('first_row');
  const scalar = strategy.endsWith('_scalar');
  let values = lastOnly ? results.slice(-1) : results;
  if (firstRow) values = values.map((rows) => rows.slice(0, 1));
  const shaped: unknown[][] = scalar
    ? values.map((rows) => rows.map((row) => Object.values(row)[0]))
    : values;
  if (lastOnly && firstRow) return shaped.at(-1)?.[0] ?? null;
  if (lastOnly) return shaped.at(-1) ?? null;
  if (firstRow) return shaped.map((rows) => rows[0] ?? null);
  return shaped;
};

/**
 * One `SELECT 1` on each data table's database before listening, so that a wrong or unreachable
 * connection string fails the start with its name, not the first job with a 500.
 */
const reachable = async (pools: ReadonlyMap<string, pg.Pool>, urls: Readonly<Record<string, string>>) => {
  for (const [name, pool] of pools) {
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
      throw new Error(
        `windmill stand-in: data table ${name}: cannot query its database ${redact(urls[name] ?? '')}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
};

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const ROUTE = /^\/api\/w\/([^/]+)\/jobs\/(run_inline|run_wait_result)\/preview$/;
const JOB_ROUTE = /^\/api\/w\/([^/]+)\/jobs_u\/get\/([^/?]+)(?:\?.*)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** windmill's `Job` as serialized (a subset of its fields). */
const jobBody = (id: string, workspace: string, state: JobState) =>
  state === 'queued' || state === 'running'
    ? {
        type: 'QueuedJob',
        id,
        workspace_id: workspace,
        running: state === 'running',
        canceled: false,
        job_kind: 'script',
      }
    : {
        type: 'CompletedJob',
        id,
        workspace_id: workspace,
        success: state === 'success',
        canceled: state === 'canceled',
        job_kind: 'script',
        duration_ms: 1,
      };

export const startStandIn = async (options: StandInOptions): Promise<StandIn> => {
  const datatables = checkDatatables(options?.datatables);
  const token = options.token ?? `wm-local-token-${randomUUID()}`;
  const workspace = options.workspace ?? 'local';
  const pools = new Map(
    Object.entries(datatables).map(([name, url]) => {
      const pool = new pg.Pool({ connectionString: url, max: 10, types });
      pool.on('error', () => {});
      // A server that dies mid-query makes the checked-out client emit 'error': without a listener
      // it would crash the stand-in itself instead of failing that one request with a 500.
      pool.on('connect', (client) => client.on('error', () => {}));
      return [name, pool] as const;
    }),
  );
  const counts = { run_inline: 0, run_wait_result: 0 };
  const log: StandIn['log'] = [];
  const faults: Fault[] = [];
  const jobs = new Map<string, JobState>();
  let jobLookups = 0;

  const reply = (res: ServerResponse, status: number, body: unknown, json: boolean) => {
    res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' });
    res.end(json ? JSON.stringify(body) : String(body));
  };

  const run = async (database: string, content: string, args: Record<string, unknown>) => {
    const pool = pools.get(database);
    if (!pool) throw new Error(`Data table ${database} not found in workspace ${workspace}`);
    const { resultCollection, declared, body } = header(content);
    const client = await pool.connect();
    try {
      const results: Record<string, unknown>[][] = [];
      for (const statement of statementsOf(body)) {
        const { text, used } = renumberPlaceholders(statement);
        const values = used.map((n) => {
          const decl = declared.get(n);
          if (!decl) throw new BindError(`$${n} is used but not declared`);
          return bind(decl, args[decl.name], n);
        });
        results.push((await client.query({ text, values })).rows);
      }
      return collect(resultCollection, results);
    } finally {
      client.release();
    }
  };

  const getJob = (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => {
    jobLookups++;
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, 'Unauthorized', false);
    const id = decodeURIComponent(match[2] ?? '');
    if (!UUID.test(id)) return reply(res, 400, `Invalid URL: Cannot parse \`${id}\` to a UUID`, false);
    const state = decodeURIComponent(match[1] ?? '') === workspace ? jobs.get(id.toLowerCase()) : undefined;
    if (state === undefined) return reply(res, 404, `Not found: Job ${id} not found`, false);
    reply(res, 200, jobBody(id, workspace, state), true);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const job = req.method === 'GET' ? JOB_ROUTE.exec(req.url ?? '') : null;
    if (job) return getJob(req, res, job);
    const route = ROUTE.exec(req.url ?? '');
    if (req.method !== 'POST' || !route) return reply(res, 404, 'Not Found', false);
    const kind = route[2] as 'run_inline' | 'run_wait_result';
    counts[kind]++;
    const fault = faults.shift();
    if (fault === 'drop-before') return req.socket.destroy();
    if (fault === 'http-500') return reply(res, 500, 'Internal: stand-in: injected failure', false);
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, 'Unauthorized', false);
    if (decodeURIComponent(route[1] ?? '') !== workspace)
      return reply(res, 404, 'workspace not found', false);
    const { content, args, language } = JSON.parse(await readBody(req)) as {
      content: string;
      args: Record<string, unknown>;
      language: string;
    };
    log.push({ route: kind, content, args });
    if (log.length > 500) log.shift(); // keep memory flat through the 1 MB tests
    if (language !== 'postgresql') return reply(res, 400, `unsupported language ${language}`, false);
    const database = String(args.database ?? '').replace(/^datatable:\/\//, '');
    try {
      const result = await run(database, content, args);
      if (fault === 'drop-after') return req.socket.destroy();
      reply(res, 200, result, true);
    } catch (error) {
      const message =
        error instanceof BindError ? error.message : `db error: ERROR: ${(error as Error).message}`;
      if (kind === 'run_inline') reply(res, 500, `Internal: ${message}`, false);
      else reply(res, 500, { error: { name: 'ExecutionErr', message } }, true);
    }
  };

  const listen = (host: string): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer((req, res) => {
        handle(req, res).catch((error: unknown) => {
          if (!res.headersSent) reply(res, 500, `Internal: stand-in: ${String(error)}`, false);
        });
      });
      server.keepAliveTimeout = 1000;
      server.once('error', reject);
      server.listen(0, host, () => resolve(server));
    });
  await reachable(pools, datatables);
  const servers: Server[] = [];
  const closeAll = async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await Promise.all([...pools.values()].map((p) => p.end()));
  };
  try {
    servers.push(await listen('127.0.0.1'));
    if (options.waitResultRoute === true) servers.push(await listen('127.0.0.2'));
  } catch (error) {
    await closeAll();
    throw error;
  }
  const url = (server: Server | undefined, host: string) =>
    server === undefined ? undefined : `http://${host}:${(server.address() as AddressInfo).port}`;
  const inlineUrl = url(servers[0], '127.0.0.1') as string;
  const waitResultUrl = url(servers[1], '127.0.0.2');
  const baseUrl = (route: Route): string => {
    if (route === 'inline') return inlineUrl;
    if (waitResultUrl === undefined)
      throw new TypeError('windmill stand-in: started without waitResultRoute: no run_wait_result route');
    return waitResultUrl;
  };

  return {
    inlineUrl,
    waitResultUrl,
    token,
    workspace,
    jobEnv: (jobId = randomUUID(), route = 'inline') => ({
      BASE_INTERNAL_URL: baseUrl(route),
      WM_TOKEN: token,
      WM_WORKSPACE: workspace,
      WM_JOB_ID: jobId,
    }),
    requests: () => counts.run_inline + counts.run_wait_result,
    requestsBy: () => ({ ...counts }),
    log,
    fail: (fault, times = 1) => {
      for (let k = 0; k < times; k++) faults.push(fault);
    },
    setJob: (id, state) => void jobs.set(id.toLowerCase(), state),
    jobLookups: () => jobLookups,
    close: closeAll,
  };
};
