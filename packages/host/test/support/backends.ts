import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryData, memoryStorage, type Storage } from '@td7x/durable-x';
import { postgresStorage } from '@td7x/durable-x-postgres';
import { ioredisClient, redisStorage } from '@td7x/durable-x-redis';
import { s3Storage } from '@td7x/durable-x-s3';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import { datatableStorage } from '@td7x/durable-x-windmill';
import { startStandIn, useStandIn } from '@td7x/durable-x-windmill/local';
import { uniqueKeyPrefix } from '@td7x/testing';
import Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { freshSchema, newPool, postgresUrl } from '../../../storage-postgres/test/support/db.ts';
import { connect, dropPrefix, sharedRedisUrl } from '../../../storage-redis/test/support.ts';
import { freshBucket } from '../../../storage-s3/test/support.ts';
import { freshDatabase } from '../../../storage-windmill/test/support/db.ts';

/** One fresh namespace on a real backend; `reopen` is a second client on it, as another process has. */
export interface Backend {
  readonly storage: Storage;
  reopen(): Promise<Storage>;
  close(): Promise<void>;
}

export const BACKENDS = ['memory', 'sqlite', 'postgres', 'redis', 's3', 'windmill'] as const;
export type BackendName = (typeof BACKENDS)[number];

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
  const db = await freshSchema('host');
  const pool = newPool(postgresUrl(), { max: 4 });
  const open = async () => postgresStorage({ pool, schema: db.schema });
  return {
    storage: await open(),
    reopen: open,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
};

const redis = async (): Promise<Backend> => {
  const prefix = uniqueKeyPrefix('host');
  const clients: Redis[] = [];
  const open = async () => {
    const client = await connect(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
    clients.push(client);
    return redisStorage({ client: ioredisClient(client), prefix });
  };
  return {
    storage: await open(),
    reopen: open,
    close: async () => {
      await dropPrefix(clients[0] as Redis, prefix);
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
};

const s3 = async (): Promise<Backend> => {
  const b = await freshBucket('host');
  const open = async () => s3Storage({ client: b.admin, bucket: b.bucket });
  return { storage: await open(), reopen: open, close: b.drop };
};

/** A database of its own behind the loopback stand-in of Windmill's API, reached through windmill-client. */
const windmill = async (): Promise<Backend> => {
  const db = await freshDatabase('host');
  const standIn = await startStandIn({ datatables: { main: db.url } });
  useStandIn(standIn);
  return {
    storage: datatableStorage(),
    reopen: async () => datatableStorage(),
    close: async () => {
      await standIn.close();
      await db.drop();
    },
  };
};

export const openBackend = (name: BackendName): Promise<Backend> =>
  ({ memory, sqlite, postgres, redis, s3, windmill })[name]();
