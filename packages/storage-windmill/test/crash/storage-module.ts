// The Windmill storage module of the crash harness and of the torture campaign: each child process
// is a job whose environment (BASE_INTERNAL_URL, WM_TOKEN, WM_WORKSPACE) points at the stand-in.
// The process's one windmill-client is pointed at `env`'s job with `setClient` (it reads its base
// URL and token once, at import), so the campaign, in process, may open several in turn.
import type { StorageModule } from '@td7x/testing';
import { setClient } from 'windmill-client';
import { datatableStorage } from '../../src/index.ts';

const JOB_ENV = ['BASE_INTERNAL_URL', 'WM_TOKEN', 'WM_WORKSPACE', 'WM_JOB_ID'] as const;

const open: StorageModule = async (env = process.env) => {
  for (const name of JOB_ENV) if (env[name] !== undefined) process.env[name] = env[name];
  const { BASE_INTERNAL_URL: base, WM_TOKEN: token } = env;
  if (!base || !token) throw new Error('a Windmill job needs BASE_INTERNAL_URL and WM_TOKEN');
  setClient(token, base);
  return { storage: datatableStorage(), close: async () => {} };
};
export default open;
