import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { createMemoryData, memoryStorage, type Storage } from '@td7x/durable-x';
import { migrate, pgExecute, postgresStorage } from '@td7x/durable-x-postgres';
import { ioredisClient, redisStorage } from '@td7x/durable-x-redis';
import { s3Storage } from '@td7x/durable-x-s3';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import { datatableStorage } from '@td7x/durable-x-windmill';
import { startStandIn, useStandIn } from '@td7x/durable-x-windmill/local';
import { uniqueBucketName, uniqueKeyPrefix, uniqueSchemaName } from '@td7x/testing';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';

/** One fresh namespace on a real backend; `reopen` is a second client on it, as another process has. */
export interface Backend {
  readonly storage: Storage;
  reopen(): Promise<Storage>;
  close(): Promise<void>;
}

export const BACKENDS = ['memory', 'sqlite', 'postgres', 'redis', 's3', 'windmill'] as const;
export type BackendName = (typeof BACKENDS)[number];

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: test/global-setup.ts should have resolved it`);
  return value;
};

const memory = async (): Promise<Backend> => {
  const data = createMemoryData();
  return {
    storage: memoryStorage({ data }),
    reopen: async () => memoryStorage({ data }),
    close: async () => {},
  };
};

const sqlite = async (): Promise<Backend> => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-host-'));
  const file = join(dir, 'runs.db');
  const dbs: Database.Database[] = [];
  const open = () => {
    const db = new Database(file);
    dbs.push(db);
    return sqliteStorage(db);
  };
  return {
    storage: open(),
    reopen: async () => open(),
    close: async () => {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const postgres = async (): Promise<Backend> => {
  const pool = new pg.Pool({ connectionString: env('TEST_POSTGRES_URL'), max: 4 });
  pool.on('error', () => {});
  const schema = uniqueSchemaName('host');
  await migrate(pgExecute(pool), { schema });
  return {
    storage: postgresStorage({ pool, schema }),
    reopen: async () => postgresStorage({ pool, schema }),
    close: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
};

const redis = async (): Promise<Backend> => {
  const prefix = uniqueKeyPrefix('host');
  const clients: Redis[] = [];
  const open = () => {
    const client = new Redis(env('TEST_REDIS_URL'), { maxRetriesPerRequest: 1 });
    clients.push(client);
    return redisStorage({ client: ioredisClient(client), prefix });
  };
  return {
    storage: open(),
    reopen: async () => open(),
    close: async () => {
      const [client] = clients;
      let cursor = '0';
      do {
        const [next, keys] = await (client as Redis).scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await (client as Redis).del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
};

const s3 = async (): Promise<Backend> => {
  const client = new S3Client({
    endpoint: env('TEST_S3_ENDPOINT'),
    region: process.env.TEST_S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.TEST_S3_ACCESS_KEY ?? 'testkey',
      secretAccessKey: process.env.TEST_S3_SECRET_KEY ?? 'testsecret',
    },
  });
  const bucket = uniqueBucketName('host');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    storage: s3Storage({ client, bucket }),
    reopen: async () => s3Storage({ client, bucket }),
    close: async () => {
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length === 0) break;
        await client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
        );
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
};

/** A database of its own behind the loopback stand-in of Windmill's API, reached through windmill-client. */
const windmill = async (): Promise<Backend> => {
  const url = env('TEST_POSTGRES_URL');
  const name = uniqueSchemaName('dx_wm_host');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const standIn = await startStandIn({ datatables: { main: dbUrl.toString() } });
  useStandIn(standIn);
  return {
    storage: datatableStorage(),
    reopen: async () => datatableStorage(),
    close: async () => {
      await standIn.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
};

export const openBackend = (name: BackendName): Promise<Backend> =>
  ({ memory, sqlite, postgres, redis, s3, windmill })[name]();
