/**
 * `@td7x/durable-x-redis`: durable-x checkpoints in Redis (standalone or Cluster), one Lua
 * script per operation. Plug in ioredis with `ioredisClient`, or any client that can run
 * EVALSHA/EVAL (an HTTP client such as `@upstash/redis` on edge workers).
 */
export type { RedisCommands } from './commands.ts';
export { type IoredisLike, ioredisClient } from './ioredis.ts';
export {
  REDIS_MAX_VALUE_BYTES,
  REDIS_SIGNAL_LIMITS,
  type RedisStorageOptions,
  redisStorage,
} from './storage.ts';
