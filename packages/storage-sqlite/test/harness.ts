import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConformanceHarness, RawRun } from '@td7x/durable-x-testkit';
import Database from 'better-sqlite3';
import { sqliteStorage } from '../src/index.ts';
import { countingDatabase } from './counting.ts';

/** A fresh temp FILE database (not :memory:, so reopen() and other processes see it). */
export const tempDatabaseFile = (): { file: string; remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-sqlite-'));
  return { file: join(dir, 'runs.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
};

export const sqliteHarness = async (): Promise<ConformanceHarness> => {
  const { file, remove } = tempDatabaseFile();
  const connections: Database.Database[] = [];
  const open = () => {
    const db = new Database(file);
    connections.push(db);
    return db;
  };
  const counted = countingDatabase(open());
  const rawDb = open();
  return {
    storage: sqliteStorage(counted.db),
    reopen: async () => sqliteStorage(open()),
    roundTrips: () => counted.counts.transactions,
    raw: {
      async readRun(runId: string): Promise<RawRun | undefined> {
        const head = rawDb.prepare('SELECT status, owner FROM dx_runs WHERE run_id = ?').get(runId) as
          | { status: string; owner: string | null }
          | undefined;
        if (!head) return undefined;
        const steps = rawDb
          .prepare('SELECT step_key, output FROM dx_steps WHERE run_id = ? ORDER BY seq')
          .all(runId) as { step_key: string; output: string }[];
        const cleanups = rawDb
          .prepare('SELECT name FROM dx_cleanups WHERE run_id = ? ORDER BY seq')
          .all(runId) as { name: string }[];
        return {
          status: head.status,
          owner: head.owner,
          stepKeys: steps.map((s) => s.step_key),
          outputs: Object.fromEntries(steps.map((s) => [s.step_key, s.output])),
          cleanupNames: cleanups.map((c) => c.name),
        };
      },
    },
    async close() {
      for (const db of connections) db.close();
      remove();
    },
  };
};
