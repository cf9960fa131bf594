import { setClient } from 'windmill-client';
import type { StandIn } from './stand-in.ts';

/** What a Windmill job's environment holds for windmill-client. */
export const WINDMILL_JOB_ENV = ['BASE_INTERNAL_URL', 'WM_TOKEN', 'WM_WORKSPACE', 'WM_JOB_ID'] as const;

/**
 * Makes this process a job with the environment `env`: its windmill-client pointed at the job's
 * base URL and token (which the client read at import time) through `setClient`, the workspace
 * through WM_WORKSPACE (read on every call).
 */
export const useJobEnv = (env: Readonly<Record<string, string | undefined>>): void => {
  for (const name of WINDMILL_JOB_ENV) {
    const value = env[name];
    if (value !== undefined) process.env[name] = value;
  }
  const { BASE_INTERNAL_URL: base, WM_TOKEN: token } = env;
  if (!base || !token) throw new Error('a Windmill job needs BASE_INTERNAL_URL and WM_TOKEN');
  setClient(token, base);
};

/** Points this process's windmill-client at the stand-in, as a Windmill worker's environment would. */
export const useStandIn = (standIn: StandIn, route: 'inline' | 'wait_result' = 'inline'): void =>
  useJobEnv({
    BASE_INTERNAL_URL: route === 'inline' ? standIn.inlineUrl : standIn.waitResultUrl,
    WM_TOKEN: standIn.token,
    WM_WORKSPACE: standIn.workspace,
  });
