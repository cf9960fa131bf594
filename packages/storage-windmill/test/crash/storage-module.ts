// The Windmill storage module of the crash harness and of the torture campaign: each child process
// is a job whose environment (BASE_INTERNAL_URL, WM_TOKEN, WM_WORKSPACE) points at the stand-in.
// The process's one windmill-client is pointed at `env`'s job (the campaign opens several in turn).
import type { StorageModule } from '@td7x/testing';
import { useJobEnv } from '@td7x/testing/windmill-client';
import { datatableStorage } from '../../src/index.ts';

const open: StorageModule = async (env = process.env) => {
  useJobEnv(env);
  return { storage: datatableStorage(), close: async () => {} };
};
export default open;
