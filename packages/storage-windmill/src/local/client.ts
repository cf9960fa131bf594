import { setClient } from 'windmill-client';
import type { Route, StandIn } from './stand-in.ts';

/**
 * Points this process at the stand-in, to call a script's `main` in-process (a test file, a
 * REPL): sets BASE_INTERNAL_URL, WM_TOKEN, WM_WORKSPACE (and WM_JOB_ID when `jobId` is given), and
 * re-points windmill-client with `setClient` too, because the client reads its base URL and token
 * once, when it is first imported (the workspace it reads on every call).
 */
export const useStandIn = (standIn: StandIn, route: Route = 'inline', jobId?: string): void => {
  const base = route === 'inline' ? standIn.inlineUrl : standIn.waitResultUrl;
  if (base === undefined) {
    throw new TypeError(
      'useStandIn: the stand-in was started without waitResultRoute: no run_wait_result route',
    );
  }
  process.env.BASE_INTERNAL_URL = base;
  process.env.WM_TOKEN = standIn.token;
  process.env.WM_WORKSPACE = standIn.workspace;
  if (jobId !== undefined) process.env.WM_JOB_ID = jobId;
  setClient(standIn.token, base);
};
