// The SQLite storage module of the crash harness and of the torture campaign: each child process
// opens its own connection on the file named by DX_SQLITE_FILE.
import type { StorageModule } from '@td7x/testing';
import Database from 'better-sqlite3';
import { sqliteStorage } from '../../src/index.ts';

const open: StorageModule = async (env = process.env) => {
  const file = env.DX_SQLITE_FILE;
  if (!file) throw new Error('DX_SQLITE_FILE is not set');
  const db = new Database(file);
  return { storage: sqliteStorage(db), close: async () => void db.close() };
};
export default open;
