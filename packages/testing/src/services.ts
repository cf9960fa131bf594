/**
 * Where the real servers for integration tests are. Each service resolves, in order:
 *   1. its TEST_* environment variable (written by `scripts/start-services.sh`, or set by CI);
 *   2. a testcontainers container, when a Docker daemon answers;
 *   3. otherwise an Error that says exactly what to run. Never a silent skip: a test that cannot
 *      reach its backend proves nothing, so it must fail.
 * Containers are started at most once per process and removed by testcontainers' reaper when the
 * process exits. Call `resolveServicesIntoEnv` from a vitest globalSetup so test workers and the
 * child processes they spawn all see the same servers through the environment.
 */

import { tmpdir } from 'node:os';

export interface S3Config {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** RGW and MinIO serve buckets by path, not by virtual host. */
  readonly forcePathStyle: true;
}

export type ServiceName = 'postgres' | 'redis' | 's3';

// os.tmpdir() is $TMPDIR or /tmp, as in scripts/start-services.sh.
const envFile = (): string => `${tmpdir()}/durable-x-services/env`;

function missingServiceError(what: string, envVars: string): Error {
  return new Error(
    `[integration] no ${what} server: ${envVars} is not set and no Docker daemon answers for testcontainers.\n` +
      `  Start the throw-away servers and load their URLs:  bash scripts/start-services.sh && source ${envFile()}\n` +
      `  (or run \`npm test\` from the repository root, which does both), or make a Docker daemon reachable\n` +
      `  (DOCKER_HOST or /var/run/docker.sock) so the tests can start containers themselves.`,
  );
}

let dockerProbe: Promise<boolean> | undefined;

/** Whether a container runtime answers. Fails fast (a few ms) when there is none. */
export function dockerReachable(): Promise<boolean> {
  dockerProbe ??= import('testcontainers')
    .then(({ getContainerRuntimeClient }) => getContainerRuntimeClient())
    .then(
      () => true,
      () => false,
    );
  return dockerProbe;
}

function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= f();
    return p;
  };
}

async function resolve<T>(
  what: string,
  envVars: string,
  fromEnv: () => T | undefined,
  fromContainer: () => Promise<T>,
): Promise<T> {
  const configured = fromEnv();
  if (configured !== undefined) return configured;
  if (await dockerReachable()) return fromContainer();
  throw missingServiceError(what, envVars);
}

const env = (name: string): string | undefined => process.env[name] || undefined;

/** A connection URL for a PostgreSQL 15 server with a superuser (TEST_POSTGRES_URL). */
export const postgresUrl: () => Promise<string> = once(() =>
  resolve(
    'PostgreSQL',
    'TEST_POSTGRES_URL',
    () => env('TEST_POSTGRES_URL'),
    async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const c = await new GenericContainer('postgres:15-alpine')
        .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
        .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
        .start();
      return `postgresql://postgres:postgres@${c.getHost()}:${c.getMappedPort(5432)}/postgres`;
    },
  ),
);

/** A connection URL for a Redis 7 server (TEST_REDIS_URL). */
export const redisUrl: () => Promise<string> = once(() =>
  resolve(
    'Redis',
    'TEST_REDIS_URL',
    () => env('TEST_REDIS_URL'),
    async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const c = await new GenericContainer('redis:7-alpine')
        .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
        .withExposedPorts(6379)
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
        .start();
      return `redis://${c.getHost()}:${c.getMappedPort(6379)}/0`;
    },
  ),
);

/** Endpoint and static keys of an S3 server that honours conditional writes (TEST_S3_*). */
export const s3Config: () => Promise<S3Config> = once(() =>
  resolve(
    'S3',
    'TEST_S3_ENDPOINT',
    () => {
      const endpoint = env('TEST_S3_ENDPOINT');
      if (endpoint === undefined) return undefined;
      return {
        endpoint,
        accessKeyId: env('TEST_S3_ACCESS_KEY') ?? 'testkey',
        secretAccessKey: env('TEST_S3_SECRET_KEY') ?? 'testsecret',
        region: env('TEST_S3_REGION') ?? 'us-east-1',
        forcePathStyle: true as const,
      };
    },
    async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const [user, secret] = ['testkey', 'testsecret'];
      // MinIO honours If-None-Match / If-Match on PUT, like the Ceph RGW the script starts.
      const c = await new GenericContainer('minio/minio:latest')
        .withEnvironment({ MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: secret })
        .withCommand(['server', '/data'])
        .withExposedPorts(9000)
        .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
        .start();
      return {
        endpoint: `http://${c.getHost()}:${c.getMappedPort(9000)}`,
        accessKeyId: user,
        secretAccessKey: secret,
        region: 'us-east-1',
        forcePathStyle: true as const,
      };
    },
  ),
);

/**
 * Resolves the given services and writes their TEST_* variables into `process.env`, so vitest
 * workers and spawned child processes inherit them. Meant for a vitest `globalSetup`:
 * `export default () => resolveServicesIntoEnv(['postgres'])`.
 */
export async function resolveServicesIntoEnv(services: readonly ServiceName[]): Promise<void> {
  for (const service of services) {
    if (service === 'postgres') process.env.TEST_POSTGRES_URL = await postgresUrl();
    if (service === 'redis') process.env.TEST_REDIS_URL = await redisUrl();
    if (service === 's3') {
      const s3 = await s3Config();
      process.env.TEST_S3_ENDPOINT = s3.endpoint;
      process.env.TEST_S3_ACCESS_KEY = s3.accessKeyId;
      process.env.TEST_S3_SECRET_KEY = s3.secretAccessKey;
      process.env.TEST_S3_REGION = s3.region;
    }
  }
}

function randomSuffix(): string {
  return `${process.pid.toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * A fresh SQL identifier (schema / table prefix) for one test file: `[a-z_][a-z0-9_]*`, at most
 * 63 bytes (Postgres' limit), so it needs no quoting and never collides across files or processes.
 */
export function uniqueSchemaName(label: string): string {
  const clean = label.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  const base = /^[a-z_]/.test(clean) ? clean : `t_${clean}`;
  const suffix = randomSuffix();
  return `${base.slice(0, 62 - suffix.length)}_${suffix}`;
}

/** A fresh key prefix (Redis keys, S3 object prefixes) for one test file, ending in `:`. */
export function uniqueKeyPrefix(label: string): string {
  return `dx-test:${label}:${randomSuffix()}:`;
}

/** A fresh S3 bucket name (3–63 chars of `[a-z0-9-]`) for one test file. */
export function uniqueBucketName(label: string): string {
  const clean = label.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  const suffix = randomSuffix().replace(/_/g, '-');
  return `dx-${clean.slice(0, 58 - suffix.length)}-${suffix}`.replace(/-+/g, '-');
}
