/**
 * A consumer of the packed packages, in TypeScript: type-checked with `node16` resolution (copied
 * to consumer.mts and consumer.cts: the `import` and `require` types), with `bundler` resolution,
 * and by `deno check` (with `npm:` specifiers); run by Bun and Deno.
 */
import { complete, durable, load, memoryStorage, type Storage } from '@td7x/durable-x';
import { load as loadResult } from '@td7x/durable-x/result';
import { postgresStorage } from '@td7x/durable-x-postgres';
import { ioredisClient, redisStorage } from '@td7x/durable-x-redis';
import { s3Storage } from '@td7x/durable-x-s3';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import { describeConformance } from '@td7x/durable-x-testkit';
import { datatableStorage, windmillStorage } from '@td7x/durable-x-windmill';

/** Every storage package's factory makes a `Storage` of the core the consumer has. */
export const factories: ReadonlyArray<(...args: never[]) => Storage> = [
  postgresStorage,
  redisStorage,
  s3Storage,
  sqliteStorage,
  datatableStorage,
];
export const windmill: Storage = windmillStorage;
export const adapters = { ioredisClient, describeConformance };

/** A run on the memory storage through both entry points of the core. */
export const main = async (): Promise<string> => {
  const storage = memoryStorage();
  const cp = await load(storage)({})('shape-run');
  const value: number = await durable(storage)(cp)('answer')({ question: 'shape' })(() => 42);
  await complete(storage)(cp);
  const replayed = await loadResult(storage)({})('shape-run');
  if (value !== 42 || replayed.isErr()) throw new Error('the run did not complete and replay');
  return `a run completed and replayed (factories: ${factories.length})`;
};

main().then((report) => console.log(`consumer.ts: ${report}`));
