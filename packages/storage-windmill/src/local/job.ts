import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Route, StandIn } from './stand-in.ts';

/** How a job ended, as Windmill would record it. */
export type JobResult =
  /** `main` returned; `result` is its value through JSON (`undefined` becomes `null`). */
  | { readonly status: 'completed'; readonly result: unknown }
  /** `main` threw (or the script could not load). */
  | { readonly status: 'failed'; readonly error: JobError }
  /** The process ended without an outcome: killed by a signal, or it exited on its own. */
  | { readonly status: 'killed'; readonly signal: string | null; readonly code: number | null };

/** What a failed job's error was. */
export interface JobError {
  readonly name: string;
  readonly message: string;
  /** For a `DurableXError`: its typed error (`{ type: 'RunBusy', leaseExpiresAt, … }`), without `cause`. */
  readonly error?: Readonly<Record<string, unknown>>;
  readonly stack?: string;
}

export interface RunJobOptions {
  /** WM_JOB_ID. Default: a new UUID, as Windmill gives every job (a zombie restart keeps it). */
  readonly jobId?: string;
  /** Default `inline`. */
  readonly route?: Route;
  /** The runtime. Default: this process's (`process.execPath`: Bun under Bun). */
  readonly execPath?: string;
  /** Its flags (e.g. `['--import', 'tsx']` to run TypeScript on Node 20). Default: this process's. */
  readonly execArgv?: readonly string[];
  /**
   * Environment variables for the job, over this process's and the job's own; `undefined` removes
   * one (a job without WM_TOKEN, say).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default `inherit`: the job prints where this process prints. `pipe`: read `job.process.stdout`. */
  readonly stdio?: 'inherit' | 'pipe';
  /** The job's working directory. Default: this process's. */
  readonly cwd?: string;
}

export interface LocalJob {
  readonly id: string;
  /** The job's process: kill it to see what a crashed worker leaves behind. */
  readonly process: ChildProcess;
  /** Resolves when the process has ended. */
  readonly result: Promise<JobResult>;
}

/**
 * What Windmill's Bun/Node worker does with a script, reduced to its core: import the file, call
 * its exported `main` with the job's arguments, record the value it returns (through JSON) or the
 * error it throws, end the process. Written to a temporary file and run by the job's runtime.
 */
const RUNNER = `import { writeFileSync } from 'node:fs';
const [script, args, outcomeFile] = process.argv.slice(-3);
const record = (outcome) => writeFileSync(outcomeFile, JSON.stringify(outcome));
const errorOf = (e) => {
  const typed = e && e.name === 'DurableXError' && typeof e.error === 'object' ? e.error : undefined;
  const { cause, ...error } = typed ?? {};
  return {
    name: String(e?.name ?? 'Error'),
    message: String(e?.message ?? e),
    ...(typed ? { error: JSON.parse(JSON.stringify(error)) } : {}),
    ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}),
  };
};
try {
  const module = await import(script);
  if (typeof module.main !== 'function') throw new TypeError(script + ' exports no main function');
  const result = await module.main(...JSON.parse(args));
  record({ status: 'completed', result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  process.exit(0);
} catch (e) {
  const error = errorOf(e);
  record({ status: 'failed', error });
  console.error('job failed: ' + error.name + ': ' + error.message);
  process.exit(1);
}
`;

const withoutUndefined = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );

/**
 * Runs a Windmill script as a job of the stand-in, in a process of its own: its `main(...args)`
 * with a job's environment (BASE_INTERNAL_URL, WM_TOKEN, WM_WORKSPACE, WM_JOB_ID), on this
 * process's runtime unless told otherwise. Arguments are positional (Windmill maps a job's named
 * inputs to `main`'s parameters; here you pass them in order) and must survive JSON.
 */
export const runJob = (
  standIn: StandIn,
  script: string,
  args: readonly unknown[] = [],
  options: RunJobOptions = {},
): LocalJob => {
  if (!Array.isArray(args)) throw new TypeError('runJob: args must be an array (main’s arguments, in order)');
  const id = options.jobId ?? randomUUID();
  const env = standIn.jobEnv(id, options.route ?? 'inline');
  const work = mkdtempSync(join(tmpdir(), 'dx-windmill-job-'));
  const runner = join(work, 'runner.mjs');
  const outcomeFile = join(work, 'outcome.json');
  writeFileSync(runner, RUNNER);
  const path = isAbsolute(script) ? script : resolve(options.cwd ?? process.cwd(), script);
  const child = spawn(
    options.execPath ?? process.execPath,
    [
      ...(options.execArgv ?? process.execArgv),
      runner,
      pathToFileURL(path).href,
      JSON.stringify(args),
      outcomeFile,
    ],
    {
      cwd: options.cwd ?? process.cwd(),
      env: withoutUndefined({ ...process.env, ...env, ...options.env }),
      stdio: ['ignore', options.stdio ?? 'inherit', options.stdio ?? 'inherit'],
    },
  );
  const result = new Promise<JobResult>((settle) => {
    const end = (outcome: JobResult) => {
      rmSync(work, { recursive: true, force: true });
      settle(outcome);
    };
    child.once('error', (error) =>
      end({ status: 'failed', error: { name: error.name, message: `runJob: ${error.message}` } }),
    );
    child.once('close', (code, signal) => {
      try {
        end(JSON.parse(readFileSync(outcomeFile, 'utf8')) as JobResult);
      } catch {
        end({ status: 'killed', signal, code });
      }
    });
  });
  return { id, process: child, result };
};
