/**
 * The edge worker: `POST /orders/<id>` runs (or resumes, or replays) the order workflow of
 * order.ts, its checkpoints in Redis over HTTP through `@upstash/redis`. `GET /runtime` reports
 * what the core can find of an async context here (see README.md).
 */
import { type DurableEvent, isDurableXError } from '@td7x/durable-x';
import { redisStorage } from '@td7x/durable-x-redis';
import { Redis } from '@upstash/redis/cloudflare';
import { paymentsAt, placeOrder } from './order.ts';

export interface Env {
  readonly UPSTASH_REDIS_REST_URL: string;
  readonly UPSTASH_REDIS_REST_TOKEN: string;
  readonly PAYMENTS_URL: string;
  /** Keys of this worker's runs start with it (one Redis may serve several apps). */
  readonly KEY_PREFIX?: string;
  /** How long a request that died keeps its runs from being resumed; 30 s by default. */
  readonly LEASE_MS?: string;
}

const storageFor = (env: Env) => {
  const redis = new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    // Script replies must stay strings: no JSON parsing of replies.
    automaticDeserialization: false,
    enableTelemetry: false,
  });
  return redisStorage({
    client: {
      evalsha: (sha1, keys, args) => redis.evalsha(sha1, keys, args),
      eval: (script, keys, args) => redis.eval(script, keys, args),
    },
    prefix: env.KEY_PREFIX ?? '',
    maxValueBytes: 900_000, // under Upstash's request size limit
  });
};

const describe = (event: DurableEvent): string =>
  'name' in event ? `${event.type}:${event.name}` : event.type;

/** What the core looks for (a global `AsyncLocalStorage`, else `process.getBuiltinModule`). */
const runtimeReport = () => {
  const scope = globalThis as {
    AsyncLocalStorage?: unknown;
    process?: { getBuiltinModule?: (id: string) => { AsyncLocalStorage?: unknown } | undefined };
  };
  const getBuiltinModule = scope.process?.getBuiltinModule;
  return {
    process: typeof scope.process === 'object',
    getBuiltinModule: typeof getBuiltinModule === 'function',
    asyncLocalStorage:
      typeof scope.AsyncLocalStorage === 'function' ||
      typeof getBuiltinModule?.('node:async_hooks')?.AsyncLocalStorage === 'function',
  };
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/runtime') return Response.json(runtimeReport());
    const order = /^\/orders\/([^/]+)$/.exec(pathname);
    if (!order?.[1] || request.method !== 'POST') return new Response('not found', { status: 404 });

    const events: string[] = [];
    try {
      const result = await placeOrder(
        storageFor(env),
        paymentsAt(env.PAYMENTS_URL),
        decodeURIComponent(order[1]),
        {
          leaseMs: Number(env.LEASE_MS ?? 30_000),
          onEvent: (event) => events.push(describe(event)),
        },
      );
      return Response.json({ result, events });
    } catch (error) {
      if (isDurableXError(error, 'RunBusy')) {
        // Another request holds the order, or one died holding it: retry once its lease has ended.
        const { leaseExpiresAt } = error.error;
        const retryAfter = String(Math.max(1, Math.ceil((leaseExpiresAt - Date.now()) / 1000)));
        return Response.json(
          { error: 'RunBusy', leaseExpiresAt, events },
          { status: 409, headers: { 'retry-after': retryAfter } },
        );
      }
      const type = isDurableXError(error) ? error.error.type : 'thrown';
      return Response.json({ error: type, message: String(error), events }, { status: 500 });
    }
  },
};
