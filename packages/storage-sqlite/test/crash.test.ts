import { fileURLToPath } from 'node:url';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { sqliteDriver } from '../src/index.ts';
import { rawReader, tempDatabaseFile } from './harness.ts';

// Each scenario gets its own database file; the test reads it with a connection of its own.
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describeProcessSuite('sqlite', () => ({
  storageModule: fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url)),
  namespace: () => {
    const { file, remove } = tempDatabaseFile();
    cleanups.push(remove);
    return { DX_SQLITE_FILE: file };
  },
  raw: (env) => {
    const db = new Database(env.DX_SQLITE_FILE as string);
    cleanups.push(() => db.close());
    return rawReader(sqliteDriver(db));
  },
}));
