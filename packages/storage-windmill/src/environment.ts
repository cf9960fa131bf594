import type { Env } from './run-id.ts';

/** The variables Windmill sets for every job and windmill-client needs to reach the API. */
export type JobVariable = 'BASE_INTERNAL_URL' | 'WM_TOKEN' | 'WM_WORKSPACE';

/**
 * A variable windmill-client needs is not set: the storage is running outside a Windmill job (or
 * a local stand-in's environment). Thrown before any request, instead of the client's own
 * fallbacks (`http://localhost:8000`, no token, workspace `no_workspace`), which would fail later
 * as ECONNREFUSED, Unauthorized or Not Found. The core reports it as the cause of a
 * `StorageUnavailable`.
 */
export class WindmillEnvironmentError extends Error {
  override readonly name = 'WindmillEnvironmentError';
  readonly variable: JobVariable;
  constructor(variable: JobVariable, problem = 'is not set') {
    super(
      `windmill storage: ${variable} ${problem}. Windmill sets BASE_INTERNAL_URL, WM_TOKEN and WM_WORKSPACE for every job; outside Windmill, run the script as a job of the local stand-in (@td7x/durable-x-windmill/local), or pass your own client with datatableStorage({ sql: wmill.datatable() })`,
    );
    this.variable = variable;
  }
}

const set = (value: string | undefined): boolean => value !== undefined && value !== '';

/**
 * Throws a {@link WindmillEnvironmentError} naming the first variable missing from `env`. The base
 * URL may also come from BASE_URL, as windmill-client reads it, but must be an absolute http(s)
 * URL (Vite, and so vitest, sets BASE_URL to `/` for its own use).
 */
export const checkJobEnvironment = (env: Env): void => {
  const base = set(env.BASE_INTERNAL_URL) ? env.BASE_INTERNAL_URL : env.BASE_URL;
  if (!set(base)) throw new WindmillEnvironmentError('BASE_INTERNAL_URL');
  if (!/^https?:\/\/[^/]/i.test(base ?? '')) {
    const from = set(env.BASE_INTERNAL_URL) ? 'it' : 'BASE_URL';
    throw new WindmillEnvironmentError(
      'BASE_INTERNAL_URL',
      `is not set to an http(s) URL (${from} is ${JSON.stringify(base)})`,
    );
  }
  if (!set(env.WM_TOKEN)) throw new WindmillEnvironmentError('WM_TOKEN');
  if (!set(env.WM_WORKSPACE)) throw new WindmillEnvironmentError('WM_WORKSPACE');
};
