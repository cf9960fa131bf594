import { readFileSync } from 'node:fs';
import { complete, durable, load, manualClock } from '@td7x/durable-x';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { betterSqlite3Driver, migrate, schemaSql, sqliteStorage } from '../src/index.ts';
import { countingDriver } from './counting.ts';
import { tempDatabaseFile } from './harness.ts';

const opened: Array<{ db: Database.Database; remove: () => void }> = [];
const fileDb = () => {
  const { file, remove } = tempDatabaseFile();
  const db = new Database(file);
  opened.push({ db, remove });
  return { db, file };
};
afterEach(() => {
  for (const { db, remove } of opened.splice(0)) {
    db.close();
    remove();
  }
});

const tables = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];

describe('sqliteStorage specifics', () => {
  it.each(['FULL', 'off', 'extra'])(
    'refuses synchronous: %s rather than fall back to NORMAL',
    (synchronous) => {
      const db = new Database(':memory:');
      expect(() => sqliteStorage(db, { synchronous: synchronous as 'full' })).toThrow(/synchronous must be/);
      db.close();
    },
  );

  it('src/schema.sql is the generated schema (run `pnpm run schema` after changing src/schema.ts)', () => {
    expect(readFileSync(new URL('../src/schema.sql', import.meta.url), 'utf8')).toBe(schemaSql());
  });

  it('refuses a table prefix that is not a plain identifier, before any SQL', () => {
    const { db } = fileDb();
    for (const tablePrefix of ['', '1x', 'a-b', 'x"; DROP TABLE t; --', 'a'.repeat(42), 'é', 'sqlite_']) {
      expect(() => sqliteStorage(db, { tablePrefix })).toThrow(TypeError);
    }
    expect(() => sqliteStorage(db, { tablePrefix: `_a${'b'.repeat(39)}` })).not.toThrow();
  });

  it('refuses a prefix with capitals: SQLite would give App_ the tables of app_', async () => {
    const { db } = fileDb();
    // Why: names that differ only in case are one table to SQLite, quoted or not.
    db.exec('CREATE TABLE "app_t" (x INTEGER)');
    expect(() => db.exec('CREATE TABLE "App_t" (x INTEGER)')).toThrow(/already exists/);
    for (const tablePrefix of ['App_', 'APP_', 'aPp_', 'A', '_X']) {
      expect(() => sqliteStorage(db, { tablePrefix })).toThrow(TypeError);
      expect(() => migrate(db, { tablePrefix })).toThrow(TypeError);
    }
    const app = sqliteStorage(db, { tablePrefix: 'app_' });
    await app.claim({ runId: 'r', owner: 'o', now: 1, leaseMs: 10 });
    expect(await sqliteStorage(db, { tablePrefix: 'app2_' }).read('r')).toBeUndefined();
  });

  it('does no I/O until called, then sets WAL, synchronous and busy_timeout 0 (it waits for locks itself) and creates its tables once', async () => {
    const { db } = fileDb();
    const counted = countingDriver(betterSqlite3Driver(db));
    const storage = sqliteStorage(counted.driver, { tablePrefix: 'app_', busyTimeoutMs: 1234 });
    expect(counted.counts).toEqual({ transactions: 0, statements: 0 });
    expect(tables(db)).toEqual([]);
    await storage.read('nothing');
    expect(tables(db)).toEqual(['app_cleanups', 'app_runs', 'app_steps']);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(0);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const afterSetup = counted.counts.statements;
    await storage.read('nothing');
    expect(counted.counts.statements).toBe(afterSetup + 3); // BEGIN, one SELECT, COMMIT: no DDL again
  });

  it('keeps two prefixes in one file apart; migrate is idempotent', async () => {
    const { db } = fileDb();
    migrate(db, { tablePrefix: 'a_' });
    migrate(db, { tablePrefix: 'a_' });
    const a = sqliteStorage(db, { tablePrefix: 'a_' });
    const b = sqliteStorage(db, { tablePrefix: 'b_' });
    await a.claim({ runId: 'r', owner: 'o', now: 1, leaseMs: 10 });
    expect(await b.read('r')).toBeUndefined();
    expect((await a.read('r'))?.run.owner).toBe('o');
  });

  it("keeps the previousStatus of the owner's claim in the file until the owner is cleared", async () => {
    const { db, file } = fileDb();
    const storage = sqliteStorage(db);
    const claimedFrom = () =>
      db.prepare(`SELECT claimed_from FROM dx_runs WHERE run_id = 'r'`).pluck().get() as string | null;
    await storage.claim({ runId: 'r', owner: 'a', now: 1, leaseMs: 10 });
    expect(claimedFrom()).toBeNull();
    await storage.suspend({ runId: 'r', owner: 'a', at: 2, wakeAt: 5 });
    await storage.claim({ runId: 'r', owner: 'b', now: 5, leaseMs: 10 });
    expect(claimedFrom()).toBe('suspended');
    // The resend reaches another process: the answer comes from the file.
    const other = new Database(file);
    try {
      expect(await sqliteStorage(other).claim({ runId: 'r', owner: 'b', now: 6, leaseMs: 10 })).toMatchObject(
        {
          kind: 'claimed',
          previousStatus: 'suspended',
          snapshot: { run: { owner: 'b', attempt: 2, leaseExpiresAt: 15 } },
        },
      );
    } finally {
      other.close();
    }
    // Cancelling keeps the owner, and so what its claim answered.
    await storage.cancel({ runId: 'r', at: 7 });
    expect(claimedFrom()).toBe('suspended');
    await storage.finish({
      runId: 'r',
      owner: 'b',
      status: 'cancelled',
      at: 8,
      error: null,
      dropCleanups: false,
    });
    expect(claimedFrom()).toBeNull();
  });

  it('returns numbers even when the connection defaults to BigInt', async () => {
    const { db } = fileDb();
    db.defaultSafeIntegers(true);
    const storage = sqliteStorage(db);
    await storage.claim({ runId: 'r', owner: 'o', now: 5, leaseMs: 10 });
    expect((await storage.read('r'))?.run).toMatchObject({ leaseExpiresAt: 15, attempt: 1, createdAt: 5 });
  });

  it('costs one transaction per step and one per load, whatever the number of steps', async () => {
    const { db } = fileDb();
    const counted = countingDriver(betterSqlite3Driver(db));
    const storage = sqliteStorage(counted.driver);
    const clock = manualClock();
    const run = async (steps: number) => {
      const cp = await load(storage, { clock })({})(`run-${steps}`);
      const step = durable(storage)(cp);
      for (let i = 0; i < steps; i++) await step(`s${i}`)({ i })(() => i);
      await complete(storage)(cp);
    };
    await run(3);
    await run(40);
    const before = counted.counts.transactions;
    await load(storage, { clock })({})('run-3');
    const loadSmall = counted.counts.transactions - before;
    const cp = await load(storage, { clock })({})('run-40');
    expect(counted.counts.transactions - before - loadSmall).toBe(loadSmall);
    expect(loadSmall).toBe(1);
    expect(cp.status).toBe('completed');
    // a fresh run: 1 claim + 1 putStep + 1 finish
    const start = counted.counts.transactions;
    await run(1);
    expect(counted.counts.transactions - start).toBe(3);
  });

  it('another process holding the write lock past busy_timeout is a typed StorageUnavailable; the run goes on after', async () => {
    const { db, file } = fileDb();
    const storage = sqliteStorage(db, { busyTimeoutMs: 50 });
    const cp = await load(storage, { clock: manualClock() })({})('r');
    const step = durable(storage)(cp);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    await expect(step('a')(1)(() => 1)).rejects.toMatchObject({
      error: { type: 'StorageUnavailable', storage: 'sqlite', op: 'putStep' },
    });
    other.exec('ROLLBACK');
    other.close();
    expect(await step('a')(1)(() => 2)).toBe(2);
    expect((await storage.read('r'))?.steps.map((s) => s.name)).toEqual(['a']);
  });
});
