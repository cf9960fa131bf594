import type { RedisCommands } from './commands.ts';

/** What `ioredisClient` needs of an ioredis `Redis` or `Cluster`; both fit. */
export interface IoredisLike {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/**
 * True for an ioredis `Redis` or `Cluster` itself (not wrapped): its `evalsha(sha1, numKeys, …)`
 * would get the keys array where the key count belongs, which Redis refuses with "ERR value is
 * not an integer or out of range". Recognised by what only ioredis clients have together.
 */
export const isIoredis = (client: unknown): boolean => {
  const c = client as { status?: unknown; duplicate?: unknown; sendCommand?: unknown } | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.status === 'string' &&
    typeof c.duplicate === 'function' &&
    typeof c.sendCommand === 'function'
  );
};

/**
 * Adapts an ioredis client the caller built (and owns: this never connects or quits it).
 * For a prompt `StorageUnavailable` instead of commands queued while the server is away, build
 * it with `enableOfflineQueue: false` and `maxRetriesPerRequest: 0` (see the README).
 */
export const ioredisClient = (redis: IoredisLike): RedisCommands => ({
  evalsha: (sha1, keys, args) => redis.evalsha(sha1, keys.length, ...keys, ...args),
  eval: (source, keys, args) => redis.eval(source, keys.length, ...keys, ...args),
});
