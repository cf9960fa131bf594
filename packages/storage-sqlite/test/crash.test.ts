import { fileURLToPath } from 'node:url';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { sqliteStorage } from '../src/index.ts';
import { tempDatabaseFile } from './harness.ts';

// Each scenario gets its own database file; the test reads it with a connection of its own.
const removals: Array<() => void> = [];
afterAll(() => {
  for (const remove of removals.splice(0)) remove();
});

describeProcessSuite('sqlite', () => ({
  storageModule: fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url)),
  namespace: () => {
    const { file, remove } = tempDatabaseFile();
    removals.push(remove);
    return { DX_SQLITE_FILE: file };
  },
  read: async (env, runId) => {
    const db = new Database(env.DX_SQLITE_FILE as string);
    try {
      return await sqliteStorage(db).read(runId);
    } finally {
      db.close();
    }
  },
}));
