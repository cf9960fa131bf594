import type { BetterSqlite3Database, BunSqliteDatabase, NodeSqliteDatabase } from '../src/index.ts';
import type { Opener } from './harness.ts';

// One Opener per SQLite binding, each imported only when asked for: better-sqlite3 does not load
// on Bun or Deno, and bun:sqlite / node:sqlite exist only on their runtimes (node:sqlite from Node
// 22.5). The specifiers go through a variable so that TypeScript on Node 20 does not look for them.

type Closable<T> = T & { close(): void };

const load = async <T>(specifier: string): Promise<T> => (await import(specifier)) as T;

/** better-sqlite3 (Node). */
export const betterSqlite3Opener = async (): Promise<Opener> => {
  const { default: Database } = await load<{
    default: new (file: string) => Closable<BetterSqlite3Database>;
  }>('better-sqlite3');
  return {
    open: (file) => new Database(file),
    close: (connection) => (connection as Closable<BetterSqlite3Database>).close(),
  };
};

/** bun:sqlite (Bun). */
export const bunSqliteOpener = async (): Promise<Opener> => {
  const { Database } = await load<{ Database: new (file: string) => Closable<BunSqliteDatabase> }>(
    'bun:sqlite',
  );
  return {
    open: (file) => new Database(file),
    close: (connection) => (connection as Closable<BunSqliteDatabase>).close(),
  };
};

/** node:sqlite (Node ≥ 22.5, Deno). */
export const nodeSqliteOpener = async (): Promise<Opener> => {
  const { DatabaseSync } = await load<{ DatabaseSync: new (file: string) => Closable<NodeSqliteDatabase> }>(
    'node:sqlite',
  );
  return {
    open: (file) => new DatabaseSync(file),
    close: (connection) => (connection as Closable<NodeSqliteDatabase>).close(),
  };
};
