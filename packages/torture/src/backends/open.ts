/**
 * Opens one adapter from environment variables only, so that the campaign (in process) and every
 * child process (through `module.ts`) build the same storage on the same namespace, each with its
 * OWN client. Namespaces are made and dropped by `namespace.ts`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@td7x/durable-x';
import type { Redis } from 'ioredis';

export const BACKENDS = ['sqlite', 'postgres', 'redis', 's3', 'windmill'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The environment variables that name a backend and its namespace. */
export const TORTURE_ENV = {
  backend: 'DX_TORTURE_BACKEND',
  sqliteFile: 'DX_TORTURE_SQLITE_FILE',
  postgresUrl: 'DX_TORTURE_PG_URL',
  postgresSchema: 'DX_TORTURE_PG_SCHEMA',
  redisUrl: 'DX_TORTURE_REDIS_URL',
  redisPrefix: 'DX_TORTURE_REDIS_PREFIX',
  s3Endpoint: 'DX_TORTURE_S3_ENDPOINT',
  s3Bucket: 'DX_TORTURE_S3_BUCKET',
  s3Prefix: 'DX_TORTURE_S3_PREFIX',
  /** Windmill: the database behind the stand-in's data table `main`. */
  windmillDatabase: 'DX_TORTURE_WM_DB_URL',
  /** Windmill, "1": read the data table's database with the Postgres adapter (see below). */
  windmillDirect: 'DX_TORTURE_WM_DIRECT',
} as const;

/** What a Windmill job's environment holds; windmill-client reads it when first imported. */
export const WINDMILL_JOB_ENV = ['BASE_INTERNAL_URL', 'WM_TOKEN', 'WM_WORKSPACE', 'WM_JOB_ID'] as const;

export interface Opened {
  readonly storage: Storage;
  readonly close: () => Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

const need = (env: Env, name: string): string => {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`torture: ${name} is not set`);
  return value;
};

// Drivers are imported when their backend is opened: a child process loads only its own
// (the S3 SDK alone takes most of a second to load on a busy machine).
export const s3Client = async (env: Env, endpoint = need(env, TORTURE_ENV.s3Endpoint)): Promise<S3Client> =>
  new (await import('@aws-sdk/client-s3')).S3Client({
    endpoint,
    region: env.TEST_S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.TEST_S3_ACCESS_KEY ?? 'testkey',
      secretAccessKey: env.TEST_S3_SECRET_KEY ?? 'testsecret',
    },
  });

/** Redis settings the adapter's README recommends: fail fast while the server is away. */
export const redisClient = async (url: string): Promise<Redis> =>
  new (await import('ioredis')).Redis(url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    lazyConnect: true,
  });

export const openBackend = async (env: Env = process.env): Promise<Opened> => {
  const backend = need(env, TORTURE_ENV.backend) as BackendName;
  switch (backend) {
    case 'sqlite': {
      const { sqliteStorage } = await import('@td7x/durable-x-sqlite');
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(need(env, TORTURE_ENV.sqliteFile));
      return { storage: sqliteStorage(db), close: async () => void db.close() };
    }
    case 'postgres': {
      const { postgresStorage } = await import('@td7x/durable-x-postgres');
      const { default: pg } = await import('pg');
      const pool = new pg.Pool({ connectionString: need(env, TORTURE_ENV.postgresUrl), max: 4 });
      // An idle client losing its server emits 'error' on the pool; unheard, Node would crash.
      pool.on('error', () => {});
      const schema = need(env, TORTURE_ENV.postgresSchema);
      return { storage: postgresStorage({ pool, schema }), close: () => pool.end() };
    }
    case 'redis': {
      const { ioredisClient, redisStorage } = await import('@td7x/durable-x-redis');
      const redis = await redisClient(need(env, TORTURE_ENV.redisUrl));
      redis.on('error', () => {});
      await redis.connect();
      const prefix = need(env, TORTURE_ENV.redisPrefix);
      return {
        storage: redisStorage({ client: ioredisClient(redis), prefix }),
        close: async () => void redis.disconnect(),
      };
    }
    case 's3': {
      const { s3Storage } = await import('@td7x/durable-x-s3');
      const client = await s3Client(env);
      const bucket = need(env, TORTURE_ENV.s3Bucket);
      const prefix = env[TORTURE_ENV.s3Prefix] ?? '';
      return { storage: s3Storage({ client, bucket, prefix }), close: async () => client.destroy() };
    }
    case 'windmill': {
      if (env[TORTURE_ENV.windmillDirect] === '1') {
        // windmill-client is one client per process: the campaign's checks, which may look at two
        // namespaces at once, read the data table's database with the same SQL statements instead.
        const { postgresStorage } = await import('@td7x/durable-x-postgres');
        const { default: pg } = await import('pg');
        const pool = new pg.Pool({ connectionString: need(env, TORTURE_ENV.windmillDatabase), max: 2 });
        pool.on('error', () => {});
        return { storage: postgresStorage({ pool }), close: () => pool.end() };
      }
      // As a Windmill worker would: the job's environment, and the process's one client pointed at it
      // (windmill-client reads its base URL and token once, at import: setClient re-points it when
      // this process opens another namespace, e.g. the campaign's outage, then fuzz namespace).
      for (const name of WINDMILL_JOB_ENV) process.env[name] = need(env, name);
      const { setClient } = await import('windmill-client');
      setClient(need(env, 'WM_TOKEN'), need(env, 'BASE_INTERNAL_URL'));
      const { datatableStorage } = await import('@td7x/durable-x-windmill');
      return { storage: datatableStorage(), close: async () => {} };
    }
    default:
      throw new Error(`torture: unknown backend ${String(backend)}`);
  }
};
