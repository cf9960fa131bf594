/**
 * A fresh namespace per backend (a SQLite file, a Postgres schema, a Redis key prefix, an S3
 * bucket, a Windmill data table's database behind the API stand-in) on the shared test servers or
 * on a server of the caller's own, described as the environment `open.ts` reads, with the
 * adapter's own raw reader on it (the testkit's `RawReader`: plain SQL, GETs, HGETALL, bypassing
 * the adapter) and `drop` to remove it. The helpers are the adapters' test support, reused.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { RawReader } from '@td7x/durable-x-testkit';
import { uniqueBucketName, uniqueKeyPrefix } from '@td7x/testing';
import { freshSchema } from '../../../storage-postgres/test/support/db.ts';
import { rawReader as postgresRaw } from '../../../storage-postgres/test/support/raw.ts';
import { connect, dropPrefix, rawReader as redisRaw } from '../../../storage-redis/test/support.ts';
import { rawReader as s3Raw } from '../../../storage-s3/test/raw.ts';
import { bucketOf, newClient } from '../../../storage-s3/test/support.ts';
import { rawReader as sqliteRaw, tempDatabaseFile } from '../../../storage-sqlite/test/harness.ts';
import { freshDatabase } from '../../../storage-windmill/test/support/db.ts';
import { rawReader as windmillRaw } from '../../../storage-windmill/test/support/harness.ts';
import { BACKEND_ENV, type BackendName } from './open.ts';

export interface Namespace {
  readonly backend: BackendName;
  /** What `openBackend` and the children read. */
  readonly env: Readonly<Record<string, string>>;
  /** What the backend really holds, read without the adapter under test. */
  readonly raw: RawReader;
  drop(): Promise<void>;
}

const service = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `torture: ${name} is not set. Run \`bash scripts/start-services.sh && source \${TMPDIR:-/tmp}/durable-x-services/env\`, or \`npm run torture\`.`,
    );
  return value;
};

const S3_ENV = ['TEST_S3_ENDPOINT', 'TEST_S3_ACCESS_KEY', 'TEST_S3_SECRET_KEY', 'TEST_S3_REGION'] as const;

export const createNamespace = async (
  backend: BackendName,
  label: string,
  server?: { readonly url: string },
): Promise<Namespace> => {
  const base = { [BACKEND_ENV]: backend };
  switch (backend) {
    case 'sqlite': {
      const { file, remove } = tempDatabaseFile();
      const [{ default: Database }, { migrate, sqliteDriver }] = await Promise.all([
        import('better-sqlite3'),
        import('@td7x/durable-x-sqlite'),
      ]);
      const db = new Database(file);
      migrate(db);
      return {
        backend,
        env: { ...base, DX_SQLITE_FILE: file },
        raw: sqliteRaw(sqliteDriver(db)),
        drop: async () => {
          db.close();
          remove();
        },
      };
    }
    case 'postgres': {
      const url = server?.url ?? service('TEST_POSTGRES_URL');
      const db = await freshSchema(`torture_${label}`, url);
      return {
        backend,
        env: { ...base, TEST_POSTGRES_URL: url, DX_PG_SCHEMA: db.schema },
        raw: postgresRaw(db.admin, db.tables),
        drop: () => db.drop().catch(() => {}),
      };
    }
    case 'redis': {
      const url = server?.url ?? service('TEST_REDIS_URL');
      const prefix = uniqueKeyPrefix(`torture-${label}`);
      const admin = await connect(url, { retryStrategy: () => 50 });
      // An outage (parts/servers.ts) cuts this connection too; it reconnects once the server is back.
      admin.on('error', () => {});
      return {
        backend,
        env: { ...base, TEST_REDIS_URL: url, DX_PREFIX: prefix },
        raw: redisRaw(admin, prefix),
        drop: async () => {
          await dropPrefix(admin, prefix).catch(() => {});
          admin.disconnect();
        },
      };
    }
    case 's3': {
      const env = Object.fromEntries(
        S3_ENV.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
      );
      if (server) env.TEST_S3_ENDPOINT = server.url;
      else service('TEST_S3_ENDPOINT');
      const admin = newClient(env);
      const name = uniqueBucketName(`torture-${label}`);
      await admin.send(new CreateBucketCommand({ Bucket: name }));
      const bucket = bucketOf(admin, name);
      const prefix = 'dx/';
      return {
        backend,
        env: { ...base, ...env, DX_S3_BUCKET: name, DX_S3_PREFIX: prefix },
        raw: s3Raw(bucket, prefix),
        drop: () => bucket.drop(),
      };
    }
    case 'windmill': {
      // A data table is a database of its own, served by a loopback stand-in of Windmill's API
      // (@td7x/durable-x-windmill/local) that runs each request's SQL on the real Postgres.
      const db = await freshDatabase(`torture_${label}`, server?.url ?? service('TEST_POSTGRES_URL'));
      const [{ migrate, pgExecute }, { startStandIn }] = await Promise.all([
        import('@td7x/durable-x-postgres'),
        import('@td7x/durable-x-windmill/local'),
      ]);
      // The tables exist before the first attempt, so a raw read after it never meets none.
      await migrate(pgExecute(db.admin));
      const standIn = await startStandIn({ datatables: { main: db.url } });
      return {
        backend,
        env: { ...base, ...standIn.jobEnv(`torture-${label}`) },
        raw: windmillRaw(db),
        drop: async () => {
          await standIn.close();
          await db.drop().catch(() => {});
        },
      };
    }
  }
};
