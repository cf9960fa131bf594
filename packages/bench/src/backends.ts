import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { memoryStorage, type Storage } from '@td7x/durable-x';
import {
  type Execute,
  migrate as migratePostgres,
  pgExecute,
  postgresStorage,
} from '@td7x/durable-x-postgres';
import { ioredisClient, type RedisCommands, redisStorage } from '@td7x/durable-x-redis';
import { s3Storage } from '@td7x/durable-x-s3';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  DX_DATABASE,
  postgresUrl,
  redisUrl,
  s3Credentials,
  s3Endpoint,
  s3Region,
  withDatabase,
} from './services.ts';

export type BackendName = 'memory' | 'sqlite' | 'postgres' | 'redis' | 's3';
export const BACKENDS: readonly BackendName[] = ['memory', 'sqlite', 'postgres', 'redis', 's3'];

/** One raw write per step: what a hand-written checkpoint would cost with the same driver. */
export interface Floor {
  readonly label: string;
  write(runId: string, step: number, output: string): Promise<void>;
}

export interface Backend {
  readonly name: BackendName;
  /** The adapter, with its backend requests counted. */
  readonly storage: Storage;
  /** Backend requests (SQL statements, Redis commands, HTTP requests; SQLite: transactions). */
  roundTrips(): number;
  /** The floor of record first; extra raw variants after it. Empty for memory. */
  readonly floors: readonly Floor[];
  /** Other configurations of the same adapter, measured in throughput beside the default. */
  readonly alternatives: readonly { readonly label: string; readonly storage: Storage }[];
  /** The durability settings every figure of this backend used. */
  readonly settings: string;
  close(): Promise<void>;
}

export const POOL_SIZE = 20;

/** Counts calls of every function-valued property, so a round trip is one call of the seam. */
const counted = <T extends object>(target: T, onCall: () => void): T =>
  new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        onCall();
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });

export const recreateDatabase = async (url: string, database: string): Promise<void> => {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
};

export const openBackend = async (name: BackendName): Promise<Backend> => {
  switch (name) {
    case 'memory':
      return memoryBackend();
    case 'sqlite':
      return sqliteBackend();
    case 'postgres':
      return postgresBackend();
    case 'redis':
      return redisBackend();
    case 's3':
      return s3Backend();
  }
};

const memoryBackend = (): Backend => {
  let calls = 0;
  return {
    name: 'memory',
    storage: counted(memoryStorage(), () => calls++),
    roundTrips: () => calls,
    floors: [],
    alternatives: [],
    settings: 'in-process Map (no durability)',
    close: async () => {},
  };
};

const sqliteBackend = (): Backend => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-bench-sqlite-'));
  const db = new Database(join(dir, 'runs.db'));
  let calls = 0;
  const storage = counted(sqliteStorage(db, { synchronous: 'full' }), () => calls++);
  // The floor shares the connection, so it runs with the pragmas the adapter sets (WAL, FULL).
  db.exec(
    'CREATE TABLE IF NOT EXISTS floor (run_id TEXT, step_key TEXT, output TEXT, PRIMARY KEY (run_id, step_key))',
  );
  const insert = db.prepare(
    'INSERT INTO floor (run_id, step_key, output) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const write = db.transaction((runId: string, key: string, output: string) =>
    insert.run(runId, key, output),
  );
  return {
    name: 'sqlite',
    storage,
    roundTrips: () => calls,
    floors: [
      {
        label: 'INSERT in an IMMEDIATE transaction',
        write: async (runId, step, output) => void write.immediate(runId, `s${step}`, output),
      },
    ],
    alternatives: [],
    settings: 'better-sqlite3, WAL, synchronous=FULL (the adapter default), local file',
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const postgresBackend = async (): Promise<Backend> => {
  const url = withDatabase(postgresUrl(), DX_DATABASE);
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  pool.on('error', () => {});
  await migratePostgres(pgExecute(pool));
  await pool.query(
    'CREATE TABLE IF NOT EXISTS floor (run_id text, step_key text, output text, PRIMARY KEY (run_id, step_key))',
  );
  let calls = 0;
  const execute = pgExecute(pool);
  const storage = postgresStorage({
    execute: (sql, params) => {
      calls++;
      return execute(sql, params);
    },
  });
  const sql = 'INSERT INTO floor (run_id, step_key, output) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING';
  return {
    name: 'postgres',
    storage,
    roundTrips: () => calls,
    floors: [
      {
        label: 'INSERT … ON CONFLICT DO NOTHING',
        write: async (runId, step, output) =>
          void (await pool.query({ text: sql, values: [runId, `s${step}`, output] })),
      },
    ],
    alternatives: [
      {
        label: 'durable-x, pg prepared statements (execute seam)',
        storage: postgresStorage({ execute: preparedExecute(pool) }),
      },
    ],
    settings: 'PostgreSQL 15, fsync=on, synchronous_commit=on, full_page_writes=on; pg Pool of 20',
    close: () => pool.end(),
  };
};

/**
 * pg named (prepared) statements: the server parses and plans each of the adapter's fixed SQL
 * texts once per connection instead of on every call. Not the adapter's default, since PgBouncer
 * in transaction mode (before 1.21) cannot carry them; offered here through the public seam.
 */
const preparedExecute = (pool: pg.Pool): Execute => {
  const names = new Map<string, string>();
  return async (sql, params) => {
    let name = names.get(sql);
    if (name === undefined) {
      name = `dx_${names.size}`;
      names.set(sql, name);
    }
    return (await pool.query({ name, text: sql, values: [...params] })).rows;
  };
};

const TRIVIAL_SCRIPT = "return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])";

const redisBackend = async (): Promise<Backend> => {
  const redis = new Redis(redisUrl(), { enableOfflineQueue: true, maxRetriesPerRequest: 0 });
  await redis.ping();
  let calls = 0;
  const commands: RedisCommands = counted(ioredisClient(redis), () => calls++);
  const prefix = `bench:${process.pid}:${Date.now()}:`;
  const sha = (await redis.script('LOAD', TRIVIAL_SCRIPT)) as string;
  return {
    name: 'redis',
    storage: redisStorage({ client: commands, prefix }),
    roundTrips: () => calls,
    floors: [
      {
        label: 'EVALSHA of a one-line HSETNX script',
        write: async (runId, step, output) =>
          void (await redis.evalsha(sha, 1, `${prefix}floor:${runId}`, `s${step}`, output)),
      },
      {
        label: 'HSETNX (plain command)',
        write: async (runId, step, output) =>
          void (await redis.hsetnx(`${prefix}floor2:${runId}`, `s${step}`, output)),
      },
    ],
    alternatives: [],
    settings: 'Redis 7, no persistence (--save "" --appendonly no), ioredis',
    close: async () => {
      redis.disconnect();
    },
  };
};

const s3Backend = async (): Promise<Backend> => {
  let requests = 0;
  const client = new S3Client({
    endpoint: s3Endpoint(),
    region: s3Region(),
    forcePathStyle: true,
    credentials: s3Credentials(),
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      requests++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchRequestCounter' },
  );
  const bucket = `dx-bench-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const counting = requests;
  const base = counting;
  return {
    name: 's3',
    storage: s3Storage({ client, bucket, prefix: 'runs/' }),
    roundTrips: () => requests - base,
    floors: [
      {
        label: 'PutObject (unconditional)',
        write: async (runId, step, output) =>
          void (await client.send(
            new PutObjectCommand({ Bucket: bucket, Key: `floor/${runId}/s${step}`, Body: output }),
          )),
      },
    ],
    alternatives: [],
    settings: 'Ceph RGW 16, memstore OSD (in memory, no disk sync), @aws-sdk/client-s3',
    close: async () => client.destroy(),
  };
};
