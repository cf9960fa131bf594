import {
  complete,
  DurableXError,
  durable,
  fail,
  listRuns,
  load,
  manualClock,
  purgeRuns,
} from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ioredisClient, type RedisCommands, redisStorage } from '../src/index.ts';
import { prefixForFile } from './file-prefix.ts';
import { connect, counting, sharedRedisUrl } from './support.ts';

const { prefix, redis } = prefixForFile('redis');

const keysUnder = async (under: string): Promise<string[]> => {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${under}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
};

const untouchable: RedisCommands = {
  evalsha: () => Promise.reject(new Error('no I/O expected')),
  eval: () => Promise.reject(new Error('no I/O expected')),
};

describe('redisStorage options', () => {
  it('does no I/O when built and refuses a prefix that would move the hash tag', () => {
    expect(redisStorage({ client: untouchable }).name).toBe('redis');
    expect(() => redisStorage({ client: untouchable, prefix: 'app{x}:' })).toThrow(TypeError);
    expect(() => redisStorage({ client: untouchable, buckets: 0 })).toThrow(TypeError);
    expect(() => redisStorage({ client: untouchable, completedTtlSeconds: 1.5 })).toThrow(TypeError);
  });

  it('refuses an ioredis client passed as `client` itself, naming ioredisClient (no I/O)', () => {
    // Its evalsha(sha1, numKeys, ...) would get the keys array as the key count: Redis answers
    // "ERR value is not an integer or out of range" at the first call. TypeScript refuses it too.
    for (const raw of [
      new Redis(sharedRedisUrl(), { lazyConnect: true }),
      new Cluster([], { lazyConnect: true }),
    ]) {
      expect(() => redisStorage({ client: raw as unknown as RedisCommands })).toThrow(
        /client is an ioredis client; wrap it with ioredisClient/,
      );
      expect(raw.status).toBe('wait'); // never connected
      expect(redisStorage({ client: ioredisClient(raw) }).name).toBe('redis');
      raw.disconnect();
    }
  });

  it('declares lower signal limits than the core (16 KiB each), which the caller may change', () => {
    expect(redisStorage({ client: untouchable }).signalLimits).toEqual({ bytes: 16_384 });
    expect(redisStorage({ client: untouchable, signalLimits: { perRun: 32 } }).signalLimits).toEqual({
      perRun: 32,
      bytes: 16_384,
    });
    expect(redisStorage({ client: untouchable, signalLimits: { bytes: 65_536 } }).signalLimits).toEqual({
      bytes: 65_536,
    });
    for (const signalLimits of [{ perRun: 0 }, { bytes: 1.5 }, { perRun: -1 }]) {
      expect(() => redisStorage({ client: untouchable, signalLimits })).toThrow(TypeError);
    }
  });

  it('makes the core refuse a signal over 16 KiB before writing, and take one at the limit', async () => {
    const storage = redisStorage({ client: ioredisClient(redis), prefix });
    await load(storage)({})('signal-limits');
    // The encoded record of a string payload is a few bytes more than the string itself.
    const refused = await R.signal(storage)('signal-limits')('big')('x'.repeat(16_384));
    expect(refused.isErr() && refused.error.type).toBe('PayloadTooLarge');
    expect(await R.signal(storage)('signal-limits')('fits')('x'.repeat(16_000))).toMatchObject({
      value: { accepted: true },
    });
    expect((await storage.read('signal-limits'))?.steps.map((s) => s.name)).toEqual(['fits']);
  });

  it('passes a smaller maxValueBytes to the core, which refuses larger outputs before writing', async () => {
    const storage = redisStorage({ client: ioredisClient(redis), prefix, maxValueBytes: 100 });
    const cp = await load(storage)({})('small-values');
    const error = await durable(storage)(cp)('big')({})(() => 'x'.repeat(200)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DurableXError);
    expect((error as DurableXError).error.type).toBe('PayloadTooLarge');
    expect((await storage.read('small-values'))?.steps).toEqual([]);
  });
});

describe('key layout', () => {
  it('keeps hostile ids inside base64url, one hash tag per run, and a/b apart from a%2Fb', async () => {
    const own = `${prefix}layout:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own });
    const ids = ['a/b', 'a%2Fb', '{tag}', '}{', 'x:y:head', own, 'ü🚀\u0001', 'a'.repeat(256)];
    for (const id of ids) await durable(storage)(await load(storage)({})(id))('s')({ id })(() => id);
    for (const id of ids) expect((await storage.read(id))?.steps[0]?.output).toBe(JSON.stringify(id));
    const keys = await keysUnder(own);
    const shape = /^\{(\d+)\}:(r:[A-Za-z0-9_-]+:(head|steps|signals|cleanups)|i:running)$/;
    for (const key of keys) expect(key.slice(own.length)).toMatch(shape);
    expect(keys.filter((k) => k.endsWith(':head'))).toHaveLength(ids.length);
  });
});

describe('scripts', () => {
  it('falls back to EVAL once when the server lost its script cache (NOSCRIPT)', async () => {
    const counted = counting(ioredisClient(redis));
    const storage = redisStorage({ client: counted.commands, prefix });
    await storage.read('warm');
    await redis.script('FLUSH');
    const before = counted.count();
    await storage.read('noscript');
    expect(counted.count() - before).toBe(2);
    expect(counted.evals()).toBe(1);
    await storage.read('noscript');
    expect(counted.count() - before).toBe(3);
  });

  it('costs one request per step and one per load, whatever the number of steps', async () => {
    const counted = counting(ioredisClient(redis));
    const storage = redisStorage({ client: counted.commands, prefix });
    const clock = manualClock();
    const cp = await load(storage, { clock })({})('cost');
    const step = durable(storage)(cp);
    await step('warm')({})(() => 0);
    const atSteps = counted.count();
    for (let i = 0; i < 50; i++) await step(`s${i}`)({ i })(() => i);
    const perStep = (counted.count() - atSteps) / 50;
    // A second process, on a clock of its own past the lease: the first session's lease keeper
    // (on the first clock) never fires, so nothing but the load is counted.
    const later = manualClock(clock.now() + 120_000);
    const atLoad = counted.count();
    const again = await load(storage, { clock: later })({})('cost');
    const perLoad = counted.count() - atLoad;
    expect(again.attempt).toBe(2);
    expect({ perStep, perLoad }).toEqual({ perStep: 1, perLoad: 1 });
  });
});

describe('a client that prefixes keys itself (ioredis keyPrefix)', () => {
  it('lists and purges its runs: the scripts find run keys beside the prefixed index keys', async () => {
    const own = `${prefix}kp:`;
    const prefixed = await connect(sharedRedisUrl(), { keyPrefix: `${own}client:` });
    try {
      const storage = redisStorage({ client: ioredisClient(prefixed), prefix: 'app:' });
      const clock = manualClock(Date.UTC(2002, 0, 1));
      const cp = await load(storage, { clock })({})('kp-run');
      await durable(storage)(cp)('s')({})(() => 1);
      await complete(storage)(cp);
      expect((await keysUnder(`${own}client:app:{`)).length).toBeGreaterThan(0);
      expect((await listRuns(storage)({ status: 'completed' })).runs.map((r) => r.runId)).toEqual(['kp-run']);
      expect(await purgeRuns(storage, { clock })({ before: clock.now() + 1 })).toBe(1);
      expect(await keysUnder(own)).toEqual([]);
    } finally {
      await prefixed.quit();
    }
  });
});

describe('completedTtlSeconds', () => {
  it('expires a completed run with all its keys; its index entry goes on the next list', async () => {
    const own = `${prefix}ttl:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own, completedTtlSeconds: 3600 });
    const clock = manualClock();
    const done = await load(storage, { clock })({})('done');
    await durable(storage)(done)('s')({})(() => 1);
    await complete(storage)(done);
    await fail(storage)(await load(storage, { clock })({})('failed'))(new Error('no'));
    const ttls = async (): Promise<[string, number][]> =>
      Promise.all(
        (await keysUnder(own)).map(async (k): Promise<[string, number]> => [k, await redis.ttl(k)]),
      );
    const runKeys = (await ttls()).filter(([k]) => k.includes(':r:'));
    // done: head, steps (no signals or cleanups key); failed: head only. Only completed runs expire.
    expect(runKeys.filter(([, ttl]) => ttl > 3590 && ttl <= 3600)).toHaveLength(2);
    expect(runKeys.filter(([, ttl]) => ttl === -1)).toHaveLength(1);

    // Let them expire now, as the server would after an hour.
    for (const key of await keysUnder(own))
      if (key.includes(':r:') && (await redis.ttl(key)) > 0) await redis.pexpire(key, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await storage.read('done')).toBeUndefined();
    const listed = await listRuns(storage)({});
    expect(listed.runs.map((r) => r.runId)).toEqual(['failed']);
    expect((await keysUnder(own)).filter((k) => k.endsWith(':i:completed'))).toEqual([]);
    expect((await load(storage, { clock })({})('done')).attempt).toBe(1);
  });
});

describe('list', () => {
  it('pages runs with equal updatedAt across buckets by run id in code point order, each once', async () => {
    const own = `${prefix}list:`;
    const storage = redisStorage({ client: ioredisClient(redis), prefix: own, buckets: 7 });
    const clock = manualClock(Date.UTC(2001, 0, 1));
    const ids = ['b', 'a', 'é', '🚀', '\uffff', 'aa', 'Z', '0'];
    for (const id of ids) await load(storage, { clock })({})(id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listRuns(storage)({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.runs.map((r) => r.runId));
      cursor = page.next;
    } while (cursor);
    const byCodePoint = [...ids].sort((x, y) =>
      String.fromCodePoint(...[...x].map((c) => c.codePointAt(0)!)) === x ? cmp(x, y) : 0,
    );
    expect(seen).toEqual(byCodePoint);
  });
});

const cmp = (a: string, b: string): number => {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};
