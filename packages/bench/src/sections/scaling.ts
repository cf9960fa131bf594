import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalText, defaultCodec, durable, load, type Storage } from '@td7x/durable-x';
import { migrate, pgExecute, postgresStorage } from '@td7x/durable-x-postgres';
import { ioredisClient, redisStorage } from '@td7x/durable-x-redis';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DX_DATABASE, postgresUrl, redisUrl, withDatabase } from '../services.ts';
import { median } from '../stats.ts';

/** One figure of "cost grows with the work": a measure beside what the same work costs raw. */
export interface ScalingRow {
  readonly area: string;
  readonly measure: string;
  readonly value: string;
  readonly reference: string;
  /** value ÷ reference when both are times; the target is the issue's. */
  readonly ratio?: number;
}

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** CPU µs per call of `fn`, median of 7 rounds of at least `minMs` each. */
const cpuPerCall = (fn: () => unknown, minMs = 60): number => {
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    let n = 0;
    const start = cpuMicros();
    let now = start;
    while (now - start < minMs * 1000) {
      fn();
      n++;
      if ((n & 3) === 0) now = cpuMicros();
    }
    rounds.push((cpuMicros() - start) / n);
  }
  return median(rounds);
};

const wallMs = async (rounds: number, op: () => Promise<unknown>): Promise<number> => {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await op();
    times.push(performance.now() - t0);
  }
  return median(times);
};

const us = (n: number) => (n < 1000 ? `${n.toFixed(1)} µs` : `${(n / 1000).toFixed(2)} ms`);
const ms = (n: number) => (n < 1 ? `${(n * 1000).toFixed(0)} µs` : `${n.toFixed(2)} ms`);

/** The codec and the memo key against JSON.stringify and a native hash of the JSON. */
const codecRows = async (): Promise<ScalingRow[]> => {
  const { createHash } = await import('node:crypto');
  const nativeHash = (text: string) => createHash('sha256').update(text).digest('hex');
  const row = (i: number) => ({
    id: i,
    name: `row ${i}`,
    tags: ['a', 'b'],
    price: i * 1.5,
    active: i % 2 === 0,
  });
  const payloads: [string, unknown][] = [
    ['a 30-byte object', { i: 7, ok: true }],
    ['1 KB of rows', Array.from({ length: 12 }, (_, i) => row(i))],
    ['1 MB of rows', Array.from({ length: 13_000 }, (_, i) => row(i))],
    ['1 MB string', { blob: 'x'.repeat(1_000_000) }],
    ['0.7 MB array of numbers', Array.from({ length: 100_000 }, (_, i) => i * 0.5)],
  ];
  const out: ScalingRow[] = [];
  for (const [label, value] of payloads) {
    const json = cpuPerCall(() => JSON.stringify(value));
    const encode = cpuPerCall(() => defaultCodec.encode(value));
    out.push({
      area: 'payload encode',
      measure: `codec encode, ${label}`,
      value: us(encode),
      reference: `JSON.stringify ${us(json)}`,
      ratio: encode / json,
    });
  }
  for (const [label, value] of [payloads[0], payloads[2]] as [string, unknown][]) {
    const raw = cpuPerCall(() => nativeHash(JSON.stringify(value)));
    const key = cpuPerCall(() => `s#${nativeHash(canonicalText(value))}`);
    out.push({
      area: 'step key',
      measure: `memo key (canonical text + SHA-256), ${label}`,
      value: us(key),
      reference: `native SHA-256 of JSON.stringify ${us(raw)}`,
      ratio: key / raw,
    });
  }
  return out;
};

/** A run of `steps` recorded steps, then its load and the replay of every step, per step. */
const replayRows = async (storage: Storage, label: string, steps: number): Promise<ScalingRow[]> => {
  const runId = `scaling-replay-${label}-${Date.now()}`;
  const cp = await load(storage)({})(runId);
  const step = durable(storage)(cp);
  for (let i = 0; i < steps; i++) await step(`s${i}`)(i)(() => ({ i, ok: true }));
  const fail = (await import('@td7x/durable-x')).fail;
  await fail(storage)(cp)(new Error('left for replay'));
  const replay = async () => {
    const again = await load(storage)({})(runId);
    const s = durable(storage)(again);
    for (let i = 0; i < steps; i++) await s(`s${i}`)(i)(() => ({ i, ok: true }));
    await fail(storage)(again)(new Error('left for replay'));
  };
  const time = await wallMs(5, replay);
  const raw = await wallMs(5, async () => {
    const snapshot = await storage.read(runId);
    for (const s of snapshot?.steps ?? []) JSON.parse(s.output);
  });
  return [
    {
      area: 'load + replay',
      measure: `load and replay of ${steps} memoized steps on ${label}, per step`,
      value: us((time * 1000) / steps),
      reference: `a read of the run + JSON.parse of each output ${us((raw * 1000) / steps)}`,
      ratio: time / raw,
    },
  ];
};

interface ListingTarget {
  readonly label: string;
  readonly storage: Storage;
  readonly close: () => Promise<void>;
}

/** Pages of listRuns / findDue / findAbandoned on a namespace holding `runs` runs, `sleepers` asleep. */
const listingRows = async (target: ListingTarget, runs: number, sleepers: number, now: number) => {
  const { storage } = target;
  const page = (q: Parameters<Storage['list']>[0]) => wallMs(7, () => storage.list(q));
  const out: ScalingRow[] = [];
  const push = (measure: string, value: number) =>
    out.push({
      area: 'listing',
      measure: `${target.label}: ${measure}`,
      value: ms(value),
      reference: `${runs} runs, ${sleepers} asleep`,
    });
  push('listRuns, first page of 100 (every status)', await page({ limit: 100 }));
  push(
    'listRuns, a page of 100 at 90 % depth',
    await page({ limit: 100, after: { updatedAt: Math.floor(runs * 0.9), runId: '' } }),
  );
  push('listRuns of one status (completed), first page', await page({ statuses: ['completed'], limit: 100 }));
  push(
    'findDue, a page (100 due among the sleepers)',
    await page({ statuses: ['suspended'], leaseExpiredAt: now, limit: 100 }),
  );
  push('findAbandoned, a page', await page({ statuses: ['running'], leaseExpiredAt: now, limit: 100 }));
  return out;
};

/**
 * The shape of every namespace: `runs` runs updated at 1..runs; every tenth of the last
 * `sleepers × 10` is suspended (wake time far away, the first 100 of them due at `now`), one in a
 * thousand running with an expired lease, the rest completed.
 */
const NOW = 5_000_000_000;

const sqliteListing = async (runs: number, sleepers: number): Promise<ListingTarget> => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-scaling-'));
  const db = new Database(join(dir, 'runs.db'));
  const storage = sqliteStorage(db, { synchronous: 'normal' });
  await storage.read('warm-up'); // creates the tables
  const first = runs - sleepers * 10;
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${runs})
    INSERT INTO dx_runs (run_id, status, owner, lease_expires_at, attempt, created_at, updated_at, error, claimed_from)
    SELECT 'run-' || i,
      CASE WHEN i > ${first} AND i % 10 = 0 THEN 'suspended' WHEN i % 1000 = 1 THEN 'running' ELSE 'completed' END,
      CASE WHEN i % 1000 = 1 THEN 'owner' END,
      CASE WHEN i > ${first} AND i % 10 = 0 THEN (CASE WHEN i <= ${first} + 1000 THEN 1000 ELSE 9000000000000000 END)
           WHEN i % 1000 = 1 THEN 1000 ELSE 0 END,
      1, i, i, NULL, NULL FROM n`);
  db.exec('ANALYZE');
  return {
    label: 'SQLite',
    storage,
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const postgresListing = async (runs: number, sleepers: number): Promise<ListingTarget> => {
  const pool = new pg.Pool({ connectionString: withDatabase(postgresUrl(), DX_DATABASE), max: 4 });
  pool.on('error', () => {});
  const schema = 'dx_scaling';
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await migrate(pgExecute(pool), { schema });
  const first = runs - sleepers * 10;
  await pool.query(`INSERT INTO ${schema}.durable_x_runs (run_id, status, owner, lease_expires_at, attempt, created_at, updated_at)
    SELECT 'run-' || i,
      CASE WHEN i > ${first} AND i % 10 = 0 THEN 'suspended' WHEN i % 1000 = 1 THEN 'running' ELSE 'completed' END,
      CASE WHEN i % 1000 = 1 THEN 'owner' END,
      CASE WHEN i > ${first} AND i % 10 = 0 THEN (CASE WHEN i <= ${first} + 1000 THEN 1000 ELSE 9000000000000000 END)
           WHEN i % 1000 = 1 THEN 1000 ELSE 0 END,
      1, i, i FROM generate_series(1, ${runs}) i`);
  await pool.query(`VACUUM ANALYZE ${schema}.durable_x_runs`);
  return {
    label: 'Postgres',
    storage: postgresStorage({ pool, schema }),
    close: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    },
  };
};

/** Redis through the adapter's own claim/suspend/finish, pipelined: its layout is its business. */
const redisListing = async (runs: number, sleepers: number): Promise<ListingTarget> => {
  const redis = new Redis(redisUrl());
  const prefix = `scaling:${Date.now()}:`;
  const storage = redisStorage({ client: ioredisClient(redis), prefix });
  const first = runs - sleepers * 10;
  const one = async (i: number) => {
    const runId = `run-${i}`;
    await storage.claim({ runId, owner: 'o', now: i, leaseMs: 1 });
    if (i > first && i % 10 === 0) {
      await storage.suspend({ runId, owner: 'o', at: i, wakeAt: i <= first + 1000 ? 1000 : 9e15 });
    } else if (i % 1000 !== 1) {
      await storage.finish({
        runId,
        owner: 'o',
        status: 'completed',
        at: i,
        error: null,
        dropCleanups: false,
      });
    }
  };
  for (let i = 1; i <= runs; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, runs - i + 1) }, (_, k) => one(i + k)));
  }
  return {
    label: 'Redis',
    storage,
    close: async () => {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
};

/** WAL written per step: a durable-x step against the naive engine's raw INSERT. */
const walRows = async (): Promise<ScalingRow[]> => {
  const pool = new pg.Pool({ connectionString: withDatabase(postgresUrl(), DX_DATABASE), max: 2 });
  pool.on('error', () => {});
  try {
    await migrate(pgExecute(pool));
    const storage = postgresStorage({ pool });
    await pool.query(
      'CREATE TABLE IF NOT EXISTS floor (run_id text, step_key text, output text, PRIMARY KEY (run_id, step_key))',
    );
    const lsn = async () =>
      (await pool.query('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l as string;
    const diff = async (a: string, b: string) =>
      Number((await pool.query('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) AS d', [b, a])).rows[0].d);
    const steps = 500;
    const runId = `scaling-wal-${Date.now()}`;
    const cp = await load(storage)({})(runId);
    const step = durable(storage)(cp);
    await pool.query('CHECKPOINT'); // both measures start after a checkpoint: same full-page images
    let a = await lsn();
    for (let i = 0; i < steps; i++) await step(`s${i}`)(i)(() => ({ i, ok: true }));
    const dx = (await diff(a, await lsn())) / steps;
    await pool.query('CHECKPOINT');
    a = await lsn();
    for (let i = 0; i < steps; i++) {
      await pool.query({
        name: 'floor_insert',
        text: 'INSERT INTO floor (run_id, step_key, output) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        values: [runId, `s${i}`, JSON.stringify({ i, ok: true })],
      });
    }
    const raw = (await diff(a, await lsn())) / steps;
    return [
      {
        area: 'Postgres WAL',
        measure: 'WAL written per step (after a checkpoint)',
        value: `${dx.toFixed(0)} B`,
        reference: `raw INSERT of the naive engine ${raw.toFixed(0)} B`,
        ratio: dx / raw,
      },
    ];
  } finally {
    await pool.end();
  }
};

/**
 * "Cost grows with the work, not faster": the codec and the memo key against JSON.stringify and a
 * native hash, load + replay against a raw read, pages of listing at `runs` runs with `sleepers`
 * asleep on every backend, and Postgres' WAL per step.
 */
export const measureScaling = async (options: {
  runs: number;
  sleepers: number;
  backends: readonly ('sqlite' | 'postgres' | 'redis')[];
  log: (line: string) => void;
}): Promise<ScalingRow[]> => {
  const rows: ScalingRow[] = [];
  options.log('[scaling] codec and memo key…');
  rows.push(...(await codecRows()));
  const { memoryStorage } = await import('@td7x/durable-x');
  rows.push(...(await replayRows(memoryStorage(), 'memory', 10_000)));
  for (const name of options.backends) {
    options.log(`[scaling] ${name}: ${options.runs} runs, ${options.sleepers} asleep…`);
    const target =
      name === 'sqlite'
        ? await sqliteListing(options.runs, options.sleepers)
        : name === 'postgres'
          ? await postgresListing(options.runs, options.sleepers)
          : await redisListing(Math.min(options.runs, 200_000), Math.min(options.sleepers, 20_000));
    try {
      rows.push(...(await replayRows(target.storage, target.label, 1_000)));
      rows.push(
        ...(await listingRows(
          target,
          name === 'redis' ? Math.min(options.runs, 200_000) : options.runs,
          name === 'redis' ? Math.min(options.sleepers, 20_000) : options.sleepers,
          NOW,
        )),
      );
    } finally {
      await target.close();
    }
  }
  if (options.backends.includes('postgres')) rows.push(...(await walRows()));
  return rows;
};
