import type { RedisCommands } from './commands.ts';

/** What `ioredisClient` needs of an ioredis `Redis` or `Cluster`; both fit. */
export interface IoredisLike {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/**
 * Adapts an ioredis client the caller built (and owns: this never connects or quits it).
 * For a prompt `StorageUnavailable` instead of commands queued while the server is away, build
 * it with `enableOfflineQueue: false` and `maxRetriesPerRequest: 0` (see the README).
 */
export const ioredisClient = (redis: IoredisLike): RedisCommands => ({
  evalsha: (sha1, keys, args) => redis.evalsha(sha1, keys.length, ...keys, ...args),
  eval: (source, keys, args) => redis.eval(source, keys.length, ...keys, ...args),
});
