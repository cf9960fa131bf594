import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { memoryStorage, type Storage } from '@td7x/durable-x';
import { migrate as migratePostgres, pgExecute, postgresStorage } from '@td7x/durable-x-postgres';
import { ioredisClient, type RedisCommands, redisStorage } from '@td7x/durable-x-redis';
import { s3Storage } from '@td7x/durable-x-s3';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  DX_DATABASE,
  fsyncPostgresUrl,
  postgresUrl,
  redisUrl,
  s3Credentials,
  s3Endpoint,
  s3Region,
  withDatabase,
} from './services.ts';
import { median } from './stats.ts';

/**
 * `postgres` and `sqlite` keep their data where a commit is cheap (a tmpfs: the fsync still runs,
 * and costs what a fast disk's would), `postgres-fsync` and `sqlite-fsync` on this machine's disk,
 * where every commit waits for the fsync: the first show what the library costs, the second what a
 * slow disk leaves of it.
 */
export type BackendName =
  | 'memory'
  | 'sqlite'
  | 'sqlite-fsync'
  | 'postgres'
  | 'postgres-fsync'
  | 'redis'
  | 's3';
export const BACKENDS: readonly BackendName[] = [
  'memory',
  'sqlite',
  'postgres',
  'redis',
  'sqlite-fsync',
  'postgres-fsync',
  's3',
];

/**
 * A naive engine: one raw write per step, with the same driver and durability; a re-run reads the
 * run's outputs back. What a hand-written checkpoint would cost.
 */
export interface Floor {
  readonly label: string;
  write(runId: string, step: number, output: string): Promise<void>;
  /** The outputs recorded for a run, decoded (a re-run of a completed run). */
  read?(runId: string): Promise<unknown[]>;
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
  /** What one synchronous commit costs here (median ms), measured when the backend opens. */
  readonly commitMs?: number;
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
      return sqliteBackend(name, fastDir());
    case 'sqlite-fsync':
      return sqliteBackend(name, tmpdir());
    case 'postgres':
      return postgresBackend(name, postgresUrl());
    case 'postgres-fsync':
      return postgresBackend(name, fsyncPostgresUrl());
    case 'redis':
      return redisBackend();
    case 's3':
      return s3Backend();
  }
};

/** Median of `rounds` timings of `op`, in ms. */
const medianMs = async (rounds: number, op: () => unknown): Promise<number> => {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await op();
    times.push(performance.now() - started);
  }
  return median(times);
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

const sqliteBackend = async (name: BackendName, under: string): Promise<Backend> => {
  const dir = mkdtempSync(join(under, 'dx-bench-sqlite-'));
  const db = new Database(join(dir, 'runs.db'));
  let calls = 0;
  const storage = counted(sqliteStorage(db, { synchronous: 'full' }), () => calls++);
  await storage.read('warm-up'); // sets the adapter's pragmas (WAL, FULL) on the shared connection
  // The floor shares the connection, so it runs with the pragmas the adapter sets (WAL, FULL).
  db.exec(
    'CREATE TABLE IF NOT EXISTS floor (run_id TEXT, step_key TEXT, output TEXT, PRIMARY KEY (run_id, step_key))',
  );
  const insert = db.prepare(
    'INSERT INTO floor (run_id, step_key, output) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const select = db.prepare('SELECT output FROM floor WHERE run_id = ?').pluck();
  const write = db.transaction((runId: string, key: string, output: string) =>
    insert.run(runId, key, output),
  );
  // One synchronous commit: a write transaction with synchronous=FULL, less the same with OFF.
  db.exec('CREATE TABLE IF NOT EXISTS commit_probe (n INTEGER)');
  const probe = db.prepare('INSERT INTO commit_probe VALUES (1)');
  const probeWrite = db.transaction(() => probe.run());
  const full = await medianMs(200, () => probeWrite.immediate());
  db.pragma('synchronous = OFF');
  const off = await medianMs(200, () => probeWrite.immediate());
  db.pragma('synchronous = FULL');
  const where = name === 'sqlite' ? 'on a tmpfs (a fast disk)' : "on this machine's disk";
  return {
    name,
    storage,
    roundTrips: () => calls,
    floors: [
      {
        label: 'INSERT in an IMMEDIATE transaction',
        write: async (runId, step, output) => void write.immediate(runId, `s${step}`, output),
        read: async (runId) => (select.all(runId) as string[]).map((o) => JSON.parse(o)),
      },
    ],
    alternatives: [],
    settings: `better-sqlite3, WAL, synchronous=FULL (the adapter default), file ${where}`,
    commitMs: Math.max(0, full - off),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** Where a commit is cheap: a tmpfs (`/dev/shm`) when there is one. */
const fastDir = (): string => (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

const postgresBackend = async (name: BackendName, serverUrl: string): Promise<Backend> => {
  const url = withDatabase(serverUrl, DX_DATABASE);
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
  const readSql = 'SELECT output FROM floor WHERE run_id = $1';
  // One synchronous commit: the same tiny INSERT with synchronous_commit on, less with it off.
  await pool.query('CREATE TABLE IF NOT EXISTS commit_probe (n int)');
  const client = await pool.connect();
  const probe = () => client.query({ name: 'commit_probe', text: 'INSERT INTO commit_probe VALUES (1)' });
  const on = await medianMs(300, probe);
  await client.query('SET synchronous_commit = off');
  const off = await medianMs(300, probe);
  await client.query('RESET synchronous_commit');
  client.release();
  const where = name === 'postgres' ? 'data on a tmpfs (a fast disk)' : "data on this machine's disk";
  return {
    name,
    storage,
    roundTrips: () => calls,
    floors: [
      {
        label: 'INSERT … ON CONFLICT DO NOTHING, prepared',
        write: async (runId, step, output) =>
          void (await pool.query({ name: 'floor_insert', text: sql, values: [runId, `s${step}`, output] })),
        read: async (runId) =>
          (await pool.query({ name: 'floor_read', text: readSql, values: [runId] })).rows.map((r) =>
            JSON.parse(r.output as string),
          ),
      },
      {
        label: 'INSERT … ON CONFLICT DO NOTHING, unprepared',
        write: async (runId, step, output) =>
          void (await pool.query({ text: sql, values: [runId, `s${step}`, output] })),
      },
    ],
    alternatives: [
      {
        label: UNPREPARED,
        storage: postgresStorage({ pool, preparedStatements: false }),
      },
    ],
    settings: `PostgreSQL 15, fsync=on, synchronous_commit=on, full_page_writes=on, ${where}; pg Pool of 20`,
    commitMs: Math.max(0, on - off),
    close: () => pool.end(),
  };
};

/** The adapter with `preparedStatements: false` (behind a pooler that cannot carry them). */
export const UNPREPARED = 'durable-x, preparedStatements: false';

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
        read: async (runId) =>
          Object.values(await redis.hgetall(`${prefix}floor:${runId}`)).map((o) => JSON.parse(o)),
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
    storage: s3Storage({ client, bucket, prefix: 'bench/' }),
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
