import { setClient } from 'windmill-client';
import type { StandIn } from './stand-in.ts';

/**
 * Points this process's windmill-client at the stand-in, as a Windmill worker's environment would:
 * the token and base URL (which the client read at import time) through `setClient`, the
 * workspace through WM_WORKSPACE (read on every call).
 */
export const useStandIn = (standIn: StandIn, route: 'inline' | 'wait_result' = 'inline'): void => {
  const base = route === 'inline' ? standIn.inlineUrl : standIn.waitResultUrl;
  process.env.BASE_INTERNAL_URL = base;
  process.env.WM_TOKEN = standIn.token;
  process.env.WM_WORKSPACE = standIn.workspace;
  setClient(standIn.token, base);
};
