/**
 * A consumer of the packed packages, in TypeScript: type-checked with `node16` resolution (copied
 * to consumer.mts and consumer.cts: the `import` and `require` types), with `bundler` resolution,
 * and by `deno check` (with `npm:` specifiers); run by Bun and Deno, where it also runs the SQLite
 * package on the runtime's own SQLite. The ESM-only testkit is esm-only.ts's.
 */
import { complete, durable, load, memoryStorage, type Storage } from '@td7x/durable-x';
import { load as loadResult } from '@td7x/durable-x/result';
import { postgresStorage } from '@td7x/durable-x-postgres';
import { ioredisClient, redisStorage } from '@td7x/durable-x-redis';
import { s3Storage } from '@td7x/durable-x-s3';
import { type SqliteConnection, sqliteStorage } from '@td7x/durable-x-sqlite';
import { datatableStorage, windmillStorage } from '@td7x/durable-x-windmill';
import type { StandIn } from '@td7x/durable-x-windmill/local';

/** Every storage package's factory makes a `Storage` of the core the consumer has. */
export const factories: ReadonlyArray<(...args: never[]) => Storage> = [
  postgresStorage,
  redisStorage,
  s3Storage,
  sqliteStorage,
  datatableStorage,
];
export const windmill: Storage = windmillStorage;
export const adapters = { ioredisClient };
export type LocalWindmill = StandIn;

/** A run through both entry points of the core: completed, then replayed. */
const completeAndReplay = async (storage: Storage): Promise<void> => {
  const cp = await load(storage)({})('shape-run');
  const value: number = await durable(storage)(cp)('answer')({ question: 'shape' })(() => 42);
  await complete(storage)(cp);
  const replayed = await loadResult(storage)({})('shape-run');
  if (value !== 42 || replayed.isErr()) throw new Error('the run did not complete and replay');
};

/** bun:sqlite on Bun, node:sqlite elsewhere (Deno; Node ≥ 22.5); none on Node 20. */
const ownSqlite = async (): Promise<[string, SqliteConnection] | undefined> => {
  const specifier = (globalThis as { Bun?: unknown }).Bun !== undefined ? 'bun:sqlite' : 'node:sqlite';
  // Through a variable: TypeScript on Node 20 knows neither module.
  const binding = await import(specifier).catch(() => undefined);
  if (binding?.Database) return [specifier, new binding.Database(':memory:')];
  if (binding?.DatabaseSync) return [specifier, new binding.DatabaseSync(':memory:')];
  return undefined;
};

export const main = async (): Promise<string> => {
  await completeAndReplay(memoryStorage());
  const sqlite = await ownSqlite();
  const scope = globalThis as { Bun?: unknown; Deno?: unknown };
  if (!sqlite && (scope.Bun !== undefined || scope.Deno !== undefined))
    throw new Error('no SQLite on Bun/Deno');
  if (sqlite) await completeAndReplay(sqliteStorage(sqlite[1]));
  return `a run completed and replayed on memory${sqlite ? ` and on ${sqlite[0]}` : ''} (factories: ${factories.length})`;
};

main().then((report) => console.log(`consumer.ts: ${report}`));
