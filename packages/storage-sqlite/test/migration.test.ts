import { FOREVER } from '@td7x/durable-x';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, sqliteStorage } from '../src/index.ts';
import { tempDatabaseFile } from './harness.ts';

/** The schema exactly as version 0.1 created it (its src/schema.sql), under `p`. */
const schema01 = (p: string) => `
CREATE TABLE IF NOT EXISTS "${p}runs" (
  run_id           TEXT    NOT NULL PRIMARY KEY,
  status           TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'compensated')),
  owner            TEXT,
  lease_expires_at INTEGER NOT NULL,
  attempt          INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  error            TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS "${p}runs_by_status_age" ON "${p}runs" (status, updated_at, run_id);
CREATE INDEX IF NOT EXISTS "${p}runs_by_lease" ON "${p}runs" (status, lease_expires_at);
CREATE TABLE IF NOT EXISTS "${p}steps" (
  run_id      TEXT    NOT NULL,
  step_key    TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  output      TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_key)
) STRICT;
CREATE TABLE IF NOT EXISTS "${p}cleanups" (
  run_id        TEXT    NOT NULL,
  cleanup_id    INTEGER NOT NULL,
  name          TEXT    NOT NULL,
  seq           INTEGER NOT NULL,
  params        TEXT    NOT NULL,
  registered_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, cleanup_id)
) STRICT;`;

/** One run in each status 0.1 knew, with a step and a cleanup, written as 0.1 wrote them. */
const fill01 = (db: Database.Database, p: string) => {
  const run = db.prepare(`INSERT INTO "${p}runs" VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  run.run('r-running', 'running', 'owner-1', 2_000, 1, 100, 150, null);
  run.run('r-completed', 'completed', null, 0, 2, 100, 300, null);
  run.run('r-failed', 'failed', null, 0, 1, 100, 200, '{"message":"boom"}');
  run.run('r-compensated', 'compensated', null, 0, 3, 100, 250, null);
  db.prepare(`INSERT INTO "${p}steps" VALUES (?, ?, ?, ?, ?, ?)`).run(
    'r-running',
    'a#1',
    'a',
    1,
    '"ünï"',
    120,
  );
  db.prepare(`INSERT INTO "${p}cleanups" VALUES (?, ?, ?, ?, ?, ?)`).run(
    'r-running',
    2,
    'undo',
    2,
    '{}',
    130,
  );
};

const rows = (db: Database.Database, table: string) =>
  db.prepare(`SELECT * FROM "${table}" ORDER BY 1, 2`).all();
const tableSql = (db: Database.Database, table: string) =>
  db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table) as string;
const indexes = (db: Database.Database, table: string) =>
  db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name")
    .pluck()
    .all(table);

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

describe('a database created by version 0.1', () => {
  it('is rebuilt on first use: every row, index, trigger, view and foreign key kept; it then stores suspended and cancelled runs', async () => {
    const db = fileDb();
    db.exec(schema01('dx_'));
    fill01(db, 'dx_');
    // What a user may have hung on the table: the rebuild must keep all of it working.
    db.exec(`
      CREATE INDEX "mine_by_owner" ON "dx_runs" (owner);
      CREATE TABLE "audit" (run_id TEXT NOT NULL REFERENCES "dx_runs" (run_id), what TEXT);
      INSERT INTO "audit" VALUES ('r-running', 'started');
      CREATE TRIGGER "audit_finish" AFTER UPDATE OF status ON "dx_runs"
        BEGIN INSERT INTO "audit" VALUES (new.run_id, new.status); END;
      CREATE VIEW "live" AS SELECT run_id FROM "dx_runs" WHERE owner IS NOT NULL;
    `);
    const before = {
      runs: rows(db, 'dx_runs'),
      steps: rows(db, 'dx_steps'),
      cleanups: rows(db, 'dx_cleanups'),
    };

    const storage = sqliteStorage(db);
    await storage.read('nothing'); // the first call migrates

    expect(tableSql(db, 'dx_runs')).toContain("'suspended', 'cancelled'");
    expect({
      runs: rows(db, 'dx_runs'),
      steps: rows(db, 'dx_steps'),
      cleanups: rows(db, 'dx_cleanups'),
    }).toEqual(before);
    expect(indexes(db, 'dx_runs')).toEqual([
      'dx_runs_by_lease',
      'dx_runs_by_status_age',
      'mine_by_owner',
      'sqlite_autoindex_dx_runs_1',
    ]);
    expect(db.prepare('SELECT run_id FROM "live"').pluck().all()).toEqual(['r-running']);
    // The connection's settings are back as they were.
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('legacy_alter_table', { simple: true })).toBe(0);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(() => db.prepare(`INSERT INTO "audit" VALUES ('absent', 'x')`).run()).toThrow(/FOREIGN KEY/);

    // The old runs go on: the running one is taken over after its lease, then cancelled.
    expect(
      await storage.claim({ runId: 'r-running', owner: 'owner-2', now: 2_000, leaseMs: 10 }),
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
      snapshot: {
        run: { attempt: 2 },
        steps: [{ key: 'a#1', output: '"ünï"' }],
        cleanups: [{ name: 'undo' }],
      },
    });
    expect(await storage.cancel({ runId: 'r-running', at: 2_001 })).toMatchObject({
      kind: 'cancelled',
      run: { status: 'cancelled', owner: null },
    });
    // The trigger survived the rebuild (the takeover sets the status too, hence 'running').
    expect(db.prepare(`SELECT what FROM "audit" WHERE run_id = 'r-running'`).pluck().all()).toEqual([
      'started',
      'running',
      'cancelled',
    ]);

    // And a new run parks, its wake time stored as an exact INTEGER.
    await storage.claim({ runId: 'r-new', owner: 'o', now: 3_000, leaseMs: 10 });
    expect(await storage.suspend({ runId: 'r-new', owner: 'o', at: 3_001, wakeAt: FOREVER })).toEqual({
      kind: 'suspended',
      wakeAt: FOREVER,
    });
    expect(
      db
        .prepare(
          `SELECT status, lease_expires_at AS due, typeof(lease_expires_at) AS type FROM "dx_runs" WHERE run_id = 'r-new'`,
        )
        .get(),
    ).toEqual({ status: 'suspended', due: FOREVER, type: 'integer' });

    // The widened CHECK still refuses what no version writes.
    expect(() => db.prepare(`UPDATE "dx_runs" SET status = 'paused' WHERE run_id = 'r-new'`).run()).toThrow(
      /CHECK constraint/,
    );
  });

  it('migrate() rebuilds only the prefix it is given, once', () => {
    const db = fileDb();
    db.exec(schema01('dx_') + schema01('app_'));
    fill01(db, 'app_');
    const appRows = rows(db, 'app_runs');
    const untouched = tableSql(db, 'dx_runs');

    migrate(db, { tablePrefix: 'app_' });
    const rebuilt = tableSql(db, 'app_runs');
    expect(rebuilt).toContain("'suspended', 'cancelled'");
    expect(tableSql(db, 'dx_runs')).toBe(untouched);

    const version = db.pragma('schema_version', { simple: true });
    migrate(db, { tablePrefix: 'app_' });
    expect(db.pragma('schema_version', { simple: true })).toBe(version); // nothing rebuilt again
    expect(tableSql(db, 'app_runs')).toBe(rebuilt);
    expect(rows(db, 'app_runs')).toEqual(appRows);
  });

  it('leaves alone a runs table without a status CHECK (not one the adapter created): a rebuild could lose its columns', () => {
    const db = fileDb();
    const custom =
      'CREATE TABLE "dx_runs" (run_id TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL, owner TEXT, lease_expires_at INTEGER NOT NULL, attempt INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, error TEXT, note TEXT)';
    db.exec(custom);
    migrate(db);
    expect(tableSql(db, 'dx_runs')).toBe(custom);
  });
});
