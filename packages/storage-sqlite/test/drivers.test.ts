import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { betterSqlite3Driver, type SqliteConnection, sqliteDriver, sqliteStorage } from '../src/index.ts';
import { answeringNull, readingBigInts } from './answers-null.ts';
import { tempDatabaseFile } from './harness.ts';

const opened: Array<{ db: Database.Database; remove: () => void }> = [];
const fileDb = () => {
  const { file, remove } = tempDatabaseFile();
  const db = new Database(file);
  opened.push({ db, remove });
  return db;
};
afterEach(() => {
  for (const { db, remove } of opened.splice(0)) {
    db.close();
    remove();
  }
});

describe('the driver seam', () => {
  it('fences a stale owner on a driver that answers null for no row (bun:sqlite does)', async () => {
    const storage = sqliteStorage(answeringNull(betterSqlite3Driver(fileDb())));
    const finish = (runId: string, owner: string) =>
      storage.finish({ runId, owner, status: 'completed', at: 3, error: null, dropCleanups: true });
    const record = { key: 's#1', name: 's', seq: 1, output: '1', at: 2 };
    await storage.claim({ runId: 'r', owner: 'a', now: 1, leaseMs: 10 });
    await storage.claim({ runId: 'r', owner: 'b', now: 11, leaseMs: 10 });
    // a's lease was taken over: each of its writes is refused and changes nothing.
    expect(await finish('r', 'a')).toBe('lease-lost');
    expect(await storage.putStep({ runId: 'r', owner: 'a', record })).toEqual({ kind: 'lease-lost' });
    expect(await storage.suspend({ runId: 'r', owner: 'a', at: 12, wakeAt: 20 })).toEqual({
      kind: 'lease-lost',
    });
    expect(await storage.setLease({ runId: 'r', owner: 'a', leaseExpiresAt: 99, now: 12 })).toBe(
      'lease-lost',
    );
    expect((await storage.read('r'))?.run).toMatchObject({
      status: 'running',
      owner: 'b',
      leaseExpiresAt: 21,
    });
    // An absent run is not found, never written.
    expect(await finish('absent', 'a')).toBe('lease-lost');
    expect(await storage.putSignal({ runId: 'absent', record: { ...record, seq: 0 }, now: 1 })).toEqual({
      kind: 'not-found',
    });
    expect(await storage.read('absent')).toBeUndefined();
    // And the owner's own writes go through.
    expect(await finish('r', 'b')).toBe('ok');
    expect(await finish('r', 'b')).toBe('ok'); // resent
  });

  it('reads numbers on a driver that answers bigints', async () => {
    const storage = sqliteStorage(readingBigInts(betterSqlite3Driver(fileDb())));
    await storage.claim({ runId: 'r', owner: 'a', now: 5, leaseMs: 10 });
    expect(
      await storage.putStep({
        runId: 'r',
        owner: 'a',
        record: { key: 'k', name: 'k', seq: 1, output: '1', at: 6 },
      }),
    ).toEqual({ kind: 'written' });
    const snapshot = await storage.read('r');
    expect(snapshot?.run).toEqual(expect.objectContaining({ leaseExpiresAt: 15, attempt: 1, createdAt: 5 }));
    expect(typeof snapshot?.steps[0]?.seq).toBe('number');
    expect(await storage.purge({ statuses: ['running'], updatedBefore: 100, limit: 10 })).toBe(1);
  });

  it('tells the bindings apart, and refuses anything else before any I/O', () => {
    expect(sqliteDriver(fileDb()).driver).toBe('better-sqlite3');
    const statement = { run: () => ({ changes: 0 }), get: () => null, all: () => [] };
    const bunLike = { prepare: () => statement, query: () => statement, exec: () => {} };
    expect(sqliteDriver(bunLike).driver).toBe('bun:sqlite');
    class DatabaseSync {
      prepare = () => statement;
      exec = () => {};
    }
    expect(sqliteDriver(new DatabaseSync()).driver).toBe('node:sqlite');
    const own = {
      driver: 'mine',
      prepare: () => ({ run: () => 0, get: () => undefined, all: () => [] }),
      exec: () => {},
    };
    expect(sqliteDriver(own)).toBe(own);
    for (const other of [{}, { prepare: () => statement }, { query: async () => [] }, null, 'runs.db']) {
      expect(() => sqliteStorage(other as unknown as SqliteConnection)).toThrow(TypeError);
    }
  });
});
