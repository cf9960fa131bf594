/**
 * A fresh namespace per backend (a SQLite file, a Postgres schema, a Redis key prefix, an S3
 * bucket) on the shared test servers, described as the environment `open.ts` reads. `drop`
 * removes it. Servers come from the TEST_* variables of scripts/start-services.sh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { migrate as migratePostgres, pgExecute } from '@td7x/durable-x-postgres';
import { migrate as migrateSqlite } from '@td7x/durable-x-sqlite';
import { uniqueBucketName, uniqueKeyPrefix, uniqueSchemaName } from '@td7x/testing';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type BackendName, redisClient, s3Client, TORTURE_ENV } from './open.ts';

export interface Namespace {
  readonly backend: BackendName;
  /** What `openBackend` and the children read. */
  readonly env: Readonly<Record<string, string>>;
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

export const createNamespace = async (
  backend: BackendName,
  label: string,
  server?: { readonly url: string },
): Promise<Namespace> => {
  const base = { [TORTURE_ENV.backend]: backend };
  switch (backend) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'dx-torture-'));
      const file = join(dir, 'runs.db');
      const db = new Database(file);
      migrateSqlite(db);
      db.close();
      return {
        backend,
        env: { ...base, [TORTURE_ENV.sqliteFile]: file },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres': {
      const url = server?.url ?? service('TEST_POSTGRES_URL');
      const schema = uniqueSchemaName(`dx_torture_${label}`);
      const admin = new pg.Pool({ connectionString: url, max: 1 });
      admin.on('error', () => {});
      await migratePostgres(pgExecute(admin), { schema });
      return {
        backend,
        env: { ...base, [TORTURE_ENV.postgresUrl]: url, [TORTURE_ENV.postgresSchema]: schema },
        drop: async () => {
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
          await admin.end();
        },
      };
    }
    case 'redis': {
      const url = server?.url ?? service('TEST_REDIS_URL');
      const prefix = uniqueKeyPrefix(`torture-${label}`);
      return {
        backend,
        env: { ...base, [TORTURE_ENV.redisUrl]: url, [TORTURE_ENV.redisPrefix]: prefix },
        drop: async () => {
          const redis = await redisClient(url);
          redis.on('error', () => {});
          try {
            await redis.connect();
            let cursor = '0';
            do {
              const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
              if (keys.length > 0) await redis.del(...keys);
              cursor = next;
            } while (cursor !== '0');
          } finally {
            redis.disconnect();
          }
        },
      };
    }
    case 'windmill': {
      // A data table is a database of its own, served by a loopback stand-in of Windmill's API
      // (@td7x/durable-x-windmill/local) that runs each request's SQL on the real Postgres.
      const postgres = server?.url ?? service('TEST_POSTGRES_URL');
      const name = uniqueSchemaName(`dx_torture_wm_${label}`);
      const url = new URL(postgres);
      url.pathname = `/${name}`;
      // One admin connection per use: an outage (see parts/servers.ts) may cut any connection kept.
      const asAdmin = async (sql: string) => {
        const admin = new pg.Client({ connectionString: postgres });
        admin.on('error', () => {});
        await admin.connect();
        try {
          await admin.query(sql);
        } finally {
          await admin.end();
        }
      };
      await asAdmin(`CREATE DATABASE "${name}"`);
      const db = new pg.Pool({ connectionString: url.toString(), max: 1 });
      db.on('error', () => {});
      await migratePostgres(pgExecute(db));
      await db.end();
      const { startStandIn } = await import('@td7x/durable-x-windmill/local');
      const standIn = await startStandIn({ datatables: { main: url.toString() } });
      return {
        backend,
        env: {
          ...base,
          ...standIn.jobEnv(`torture-${label}`),
          [TORTURE_ENV.windmillDatabase]: url.toString(),
        },
        drop: async () => {
          await standIn.close();
          await asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
        },
      };
    }
    case 's3': {
      const endpoint = server?.url ?? service('TEST_S3_ENDPOINT');
      const bucket = uniqueBucketName(`torture-${label}`);
      const admin = await s3Client(process.env, endpoint);
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      return {
        backend,
        env: {
          ...base,
          [TORTURE_ENV.s3Endpoint]: endpoint,
          [TORTURE_ENV.s3Bucket]: bucket,
          [TORTURE_ENV.s3Prefix]: 'dx/',
        },
        drop: async () => {
          for (;;) {
            const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
            const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
            if (keys.length === 0) break;
            await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
          }
          await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
          admin.destroy();
        },
      };
    }
  }
};
