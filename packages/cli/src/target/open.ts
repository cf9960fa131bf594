import type { Storage } from '@td7x/durable-x';
import { CliError, usage } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { importDriver } from './driver.ts';
import type { Target } from './parse.ts';

export interface OpenedStorage {
  readonly storage: Storage;
  /** Closes the connections this command opened. */
  readonly close: () => Promise<void>;
}

export interface OpenOptions {
  /**
   * Create what the backend needs to hold runs (tables, a SQLite file) when missing: only `import`
   * asks for it. Other commands never create anything, so a mistyped path or schema is an error.
   */
  readonly create?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A storage factory refuses bad options (a reserved S3 folder, a Redis prefix with braces, a table
 * prefix that is no identifier) by throwing before any I/O: that is bad usage, not a failure.
 */
const configured = <T>(build: () => T): T => {
  try {
    return build();
  } catch (error) {
    throw usage((error as Error).message);
  }
};

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

const openPostgres = async (target: Extract<Target, { kind: 'postgres' }>, create: boolean) => {
  const pg = await importDriver('pg', () => import('pg'), 'postgres://');
  const adapter = await import('@td7x/durable-x-postgres');
  const pool = new pg.default.Pool({ connectionString: target.url, max: 4 });
  pool.on('error', () => {}); // an idle client's error: the next query reports it
  const layout = { ...optional('schema', target.schema), ...optional('tablePrefix', target.tablePrefix) };
  try {
    configured(() => adapter.tableNames(layout));
    if (create) await adapter.migrate(adapter.pgExecute(pool), layout);
    const storage = configured(() => adapter.postgresStorage({ pool, ...layout }));
    return { storage, close: () => pool.end() };
  } catch (error) {
    await pool.end();
    throw error;
  }
};

const openRedis = async (target: Extract<Target, { kind: 'redis' }>) => {
  const { Redis } = await importDriver('ioredis', () => import('ioredis'), 'redis://');
  const adapter = await import('@td7x/durable-x-redis');
  // Fail fast: a command-line tool reports an unreachable server instead of retrying forever.
  const redis = new Redis(target.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // reported by the command that meets it
  const storage = configured(() =>
    adapter.redisStorage({
      client: adapter.ioredisClient(redis),
      ...optional('prefix', target.prefix),
      ...optional('buckets', target.buckets),
    }),
  );
  await redis.connect();
  return {
    storage,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};

const openSqlite = async (target: Extract<Target, { kind: 'sqlite' }>, create: boolean) => {
  const { default: Database } = await importDriver(
    'better-sqlite3',
    () => import('better-sqlite3'),
    'sqlite:',
  );
  const adapter = await import('@td7x/durable-x-sqlite');
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(target.file, { fileMustExist: !create });
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CANTOPEN') {
      throw new CliError(EXIT.usage, `sqlite: no database file at ${target.file}`);
    }
    throw error;
  }
  let storage: Storage;
  try {
    storage = configured(() => adapter.sqliteStorage(db, optional('tablePrefix', target.tablePrefix)));
  } catch (error) {
    db.close();
    throw error;
  }
  return { storage, close: async () => void db.close() };
};

const openS3 = async (target: Extract<Target, { kind: 's3' }>, env: OpenOptions['env'] = process.env) => {
  const s3 = await importDriver('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3'), 's3://');
  const adapter = await import('@td7x/durable-x-s3');
  // The SDK reads credentials from the environment (AWS_ACCESS_KEY_ID…, AWS_PROFILE); the endpoint
  // of an S3-compatible server (Ceph RGW, MinIO) from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const client = new s3.S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...optional('endpoint', endpoint),
    // Servers other than AWS serve buckets by path; AWS itself by virtual host.
    forcePathStyle: target.pathStyle ?? endpoint !== undefined,
    // Static keys from the environment given; otherwise the SDK's own chain (profiles, roles…).
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...optional('sessionToken', env.AWS_SESSION_TOKEN || undefined),
          },
        }
      : {}),
  });
  let storage: Storage;
  try {
    storage = configured(() => adapter.s3Storage({ client, bucket: target.bucket, prefix: target.prefix }));
  } catch (error) {
    client.destroy();
    throw error;
  }
  return { storage, close: async () => client.destroy() };
};

const WINDMILL_ENV = ['BASE_INTERNAL_URL', 'WM_TOKEN', 'WM_WORKSPACE'] as const;

const openWindmill = async (
  target: Extract<Target, { kind: 'windmill' }>,
  create: boolean,
  env: OpenOptions['env'] = process.env,
) => {
  const missing = WINDMILL_ENV.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw usage(`windmill: set ${missing.join(', ')} (the instance's URL, a token and the workspace)`);
  }
  await importDriver('windmill-client', () => import('windmill-client'), 'windmill:');
  const adapter = await import('@td7x/durable-x-windmill');
  const storage = configured(() =>
    adapter.datatableStorage({
      createTables: create,
      ...optional('datatable', target.datatable),
      ...optional('schema', target.schema),
      ...optional('tablePrefix', target.tablePrefix),
    }),
  );
  return { storage, close: async () => {} };
};

/** Connects to the runs' backend; only that backend's driver is imported. */
export const openStorage = async (target: Target, options: OpenOptions = {}): Promise<OpenedStorage> => {
  const create = options.create ?? false;
  switch (target.kind) {
    case 'postgres':
      return openPostgres(target, create);
    case 'redis':
      return openRedis(target);
    case 'sqlite':
      return openSqlite(target, create);
    case 's3':
      return openS3(target, options.env);
    case 'windmill':
      return openWindmill(target, create, options.env);
  }
};
