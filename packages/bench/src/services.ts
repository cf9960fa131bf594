/**
 * Where the bench's servers are: the TEST_* variables written by scripts/start-services.sh
 * (`pnpm bench` starts its own durable servers and sets them). A missing one is an error that
 * says what to run, never a silent skip.
 */
const required = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `bench: ${name} is not set. Run \`pnpm bench\` from the repository root (it starts durable servers), ` +
        'or start them yourself: PG_DURABLE=1 bash scripts/start-services.sh && source $SERVICES_DIR/env',
    );
  }
  return value;
};

export const postgresUrl = (): string => required('TEST_POSTGRES_URL');
/**
 * A second server with its data on this machine's disk, where every commit waits for the fsync
 * (`postgres-fsync`); `pnpm bench` keeps the first one's data on a tmpfs (fast commits).
 */
export const fsyncPostgresUrl = (): string => required('BENCH_FSYNC_POSTGRES_URL');
export const redisUrl = (): string => required('TEST_REDIS_URL');
export const s3Endpoint = (): string => required('TEST_S3_ENDPOINT');
export const s3Credentials = () => ({
  accessKeyId: process.env.TEST_S3_ACCESS_KEY ?? 'testkey',
  secretAccessKey: process.env.TEST_S3_SECRET_KEY ?? 'testsecret',
});
export const s3Region = (): string => process.env.TEST_S3_REGION ?? 'us-east-1';

/** A database URL on the same server with another database name. */
export const withDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/** The Postgres database of durable-x's tables; DBOS Transact gets its own on the same server. */
export const DX_DATABASE = 'durablex_bench';
export const DBOS_DATABASE = 'dbos_bench';
