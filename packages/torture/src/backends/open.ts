/**
 * Opens one adapter from environment variables only, so that the campaign (in process) and every
 * child process build the same storage on the same namespace, each with its OWN client. The
 * opening itself is each adapter's storage module (`packages/storage-<name>/test/crash/storage-module.ts`,
 * the one its own crash tests use): there is one opener per backend, and this picks it by
 * `DX_BACKEND`. Namespaces are made and dropped by `namespace.ts`.
 */
import type { OpenedStorage, StorageModule } from '@td7x/testing/crash';
import { MUTANT_ENV, withMutant } from './mutants.ts';

export const BACKENDS = ['sqlite', 'postgres', 'redis', 's3', 'windmill'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The environment variable that names the backend; the adapter's module reads the rest. */
export const BACKEND_ENV = 'DX_BACKEND';

export type Opened = OpenedStorage;

type Env = Readonly<Record<string, string | undefined>>;

// Imported when their backend is opened: a child process loads only its own driver (the S3 SDK
// alone takes most of a second to load on a busy machine).
const MODULES: Record<BackendName, () => Promise<{ default: StorageModule }>> = {
  sqlite: () => import('../../../storage-sqlite/test/crash/storage-module.ts'),
  postgres: () => import('../../../storage-postgres/test/crash/storage-module.ts'),
  redis: () => import('../../../storage-redis/test/crash/storage-module.ts'),
  s3: () => import('../../../storage-s3/test/crash/storage-module.ts'),
  windmill: () => import('../../../storage-windmill/test/crash/storage-module.ts'),
};

export const backendOf = (env: Env): BackendName => {
  const backend = env[BACKEND_ENV] as BackendName | undefined;
  if (backend === undefined || !BACKENDS.includes(backend)) {
    throw new Error(`torture: ${BACKEND_ENV} is ${String(backend)}, not one of ${BACKENDS.join(', ')}`);
  }
  return backend;
};

/** The backend `env` names, behind a broken storage when `DX_TORTURE_MUTANT` names one (mutants.ts). */
export const openBackend = async (env: Env = process.env): Promise<Opened> =>
  withMutant(await (await MODULES[backendOf(env)]()).default(env), env[MUTANT_ENV]);
