import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConformanceHarness, RawRun } from '@td7x/durable-x-testkit';
import { type SqliteConnection, type SqliteDriver, sqliteDriver, sqliteStorage } from '../src/index.ts';
import { countingDriver } from './counting.ts';

/** A fresh temp FILE database (not :memory:, so reopen() and other processes see it). */
export const tempDatabaseFile = (): { file: string; remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-sqlite-'));
  return { file: join(dir, 'runs.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/** Opens a connection of some SQLite binding on a file, and closes it (see openers.ts). */
export interface Opener {
  open(file: string): SqliteConnection;
  close(connection: SqliteConnection): void;
}

/** Plain SQL through any driver, for the testkit's raw reader (and the crash tests and the torture campaign). */
export const rawReader = (driver: SqliteDriver) => ({
  async readRun(runId: string): Promise<RawRun | undefined> {
    const head = driver.prepare('SELECT status, owner FROM dx_runs WHERE run_id = ?').get([runId]) as
      | { status: string; owner: string | null }
      | undefined
      | null;
    if (!head) return undefined;
    const steps = driver
      .prepare('SELECT step_key, output FROM dx_steps WHERE run_id = ? ORDER BY seq')
      .all([runId]) as { step_key: string; output: string }[];
    const cleanups = driver
      .prepare('SELECT name FROM dx_cleanups WHERE run_id = ? ORDER BY seq')
      .all([runId]) as { name: string }[];
    return {
      status: head.status,
      owner: head.owner,
      stepKeys: steps.map((s) => s.step_key),
      outputs: Object.fromEntries(steps.map((s) => [s.step_key, s.output])),
      cleanupNames: cleanups.map((c) => c.name),
    };
  },
});

/**
 * The conformance harness on a temp file, for any SQLite binding: `reopen()` is a second
 * connection on the file, raw reads are plain SQL, `roundTrips()` counts the adapter's
 * transactions. `wrap` may stand between the adapter and the driver (to count, or to answer
 * null for no row). This module imports no binding: a runner on Bun or Deno passes the `Opener`
 * of its runtime's binding (openers.ts), e.g.
 *   describeConformance('sqlite on bun:sqlite', sqliteHarnessFor(await bunSqliteOpener()));
 */
export const sqliteHarnessFor =
  (opener: Opener, wrap: (driver: SqliteDriver) => SqliteDriver = (driver) => driver) =>
  async (): Promise<ConformanceHarness> => {
    const { file, remove } = tempDatabaseFile();
    const connections: SqliteConnection[] = [];
    const open = () => {
      const connection = opener.open(file);
      connections.push(connection);
      return wrap(sqliteDriver(connection));
    };
    const counted = countingDriver(open());
    const raw = open();
    return {
      storage: sqliteStorage(counted.driver),
      reopen: async () => sqliteStorage(open()),
      roundTrips: () => counted.counts.transactions,
      raw: rawReader(raw),
      async close() {
        for (const connection of connections) opener.close(connection);
        remove();
      },
    };
  };
