import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeRisky, complete, DurableXError, durable, load, manualClock } from '@td7x/durable-x';
import { type PrivateRedis, startPrivateRedis } from '@td7x/testing/private-redis';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { type CuttableProxy, startProxy } from './proxy.ts';
import { connect, counting, rawReader } from './support.ts';

const prefix = 'dx-outage:';
const clients: Redis[] = [];
const servers: PrivateRedis[] = [];
const proxies: CuttableProxy[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
});

const newServer = async () => {
  const server = await startPrivateRedis(mkdtempSync(join(tmpdir(), 'dx-redis-outage-')));
  servers.push(server);
  return server;
};

/** A fail-fast client that reconnects every 20 ms and never queues or resends a command. */
const open = async (url: string) => {
  const redis = await connect(url, { retryStrategy: () => 20 });
  // Connection errors surface as StorageUnavailable on the calls; the event needs a listener.
  redis.on('error', () => {});
  clients.push(redis);
  return redis;
};

/** What a DurableXError carries, or what was thrown. */
const typeOf = async (pending: Promise<unknown>): Promise<string> => {
  try {
    await pending;
    return 'resolved';
  } catch (error) {
    return error instanceof DurableXError ? error.error.type : String(error);
  }
};

const timed = async <T>(pending: Promise<T>): Promise<{ value: T; ms: number }> => {
  const start = Date.now();
  const value = await pending;
  return { value, ms: Date.now() - start };
};

describe('the Redis server dies mid-run', () => {
  it('fails fast with StorageUnavailable, corrupts nothing, and the run resumes once the server is back', async () => {
    const server = await newServer();
    // The first process reaches the server through a proxy, so that a write can be held in flight.
    const proxy = await startProxy({ host: '127.0.0.1', port: server.port });
    proxies.push(proxy);
    const client = await open(proxy.url);
    const counted = counting(ioredisClient(client));
    const storage = redisStorage({ client: counted.commands, prefix });
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const undone: unknown[] = [];
    const registry = { undo: (params: Record<string, unknown>) => void undone.push(params.id) };
    const runs: string[] = [];
    const work = (name: string) => () => {
      runs.push(name);
      return name.toUpperCase();
    };
    const runId = 'outage:{run}';

    const cp = await load(storage, { clock, ownerPrefix: 'first' })(registry)(runId);
    const step = durable(storage)(cp);
    await step('before')({})(work('before'));
    await beforeRisky(storage)(cp)('undo')({ id: 'u1' });
    await step('risky')({})(work('risky'));

    // A write in flight when the server dies: the proxy holds the step's write (it never reaches
    // the server), and the server is killed once the write is sent.
    proxy.mode = 'drop-requests';
    const sent = proxy.next('request');
    const inFlight = timed(typeOf(step('during')({})(work('during'))));
    await sent;
    proxy.mode = 'pass';
    await server.kill();
    const died = await inFlight;
    expect(died.value).toBe('StorageUnavailable');
    expect(died.ms).toBeLessThan(3_000);

    // While it is down, every operation fails at once with the same typed error.
    const down = await timed(typeOf(step('while-down')({})(work('while-down'))));
    expect(down.value).toBe('StorageUnavailable');
    expect(down.ms).toBeLessThan(1_000);
    expect(await typeOf(load(storage, { clock })(registry)('another run'))).toBe('StorageUnavailable');

    // Back from its append-only file, with an empty script cache.
    await server.restart();
    await ready(client);
    const raw = await rawReader(await open(server.url), prefix).readRun(runId);
    expect(raw).toMatchObject({ status: 'running', cleanupNames: ['undo'] });
    expect(raw?.owner).toMatch(/^first:/);
    expect(raw?.stepKeys.map((k) => k.split('#')[0]).sort()).toEqual(['before', 'risky']);

    // The host retries the job in a new process once the dead attempt's lease has run out.
    clock.advance(60_000);
    const retryClient = counting(ioredisClient(await open(server.url)));
    const retryStorage = redisStorage({ client: retryClient.commands, prefix });
    const resumed = await load(retryStorage, { clock })(registry)(runId);
    expect(resumed.attempt).toBe(2);
    expect(undone).toEqual(['u1']);
    const again = durable(retryStorage)(resumed);
    runs.length = 0;
    expect(await again('before')({})(work('before'))).toBe('BEFORE');
    expect(await again('risky')({})(work('risky'))).toBe('RISKY');
    expect(await again('during')({})(work('during'))).toBe('DURING');
    // `before` stayed memoized; `risky` was rolled back by the cleanup and ran again.
    expect(runs).toEqual(['risky', 'during']);
    await complete(retryStorage)(resumed);
    // The restarted server had no scripts cached: each of the four scripts used since (claim,
    // rollback, putStep, finish) met NOSCRIPT once and fell back to EVAL once.
    expect(retryClient.evals()).toBe(4);

    // The first process, reconnected, is fenced out: its lease was taken over.
    expect(await typeOf(step('late')({})(work('late')))).toBe('LeaseLost');
    const final = await retryStorage.read(runId);
    expect(final?.run).toMatchObject({ status: 'completed', owner: null, attempt: 2 });
    expect(final?.steps.map((s) => s.name).sort()).toEqual(['before', 'during', 'risky']);
    expect(final?.cleanups).toEqual([]);
  });
});

describe('the connection to Redis dies mid-run (the server stays up)', () => {
  it('a lost request or a lost reply is a StorageUnavailable; the same process then carries on', async () => {
    const server = await newServer();
    const proxy = await startProxy({ host: '127.0.0.1', port: server.port });
    proxies.push(proxy);
    const client = await open(proxy.url);
    const storage = redisStorage({ client: ioredisClient(client), prefix });
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const runId = 'connection:{run}';
    const calls: string[] = [];
    const work = (name: string) => () => {
      calls.push(name);
      return `${name}#${calls.filter((c) => c === name).length}`;
    };
    const cp = await load(storage, { clock })({})(runId);
    const step = durable(storage)(cp);
    expect(await step('one')({})(work('one'))).toBe('one#1');

    // The request never reaches the server, then the connection breaks.
    proxy.mode = 'drop-requests';
    const dropped = proxy.next('request');
    const lostRequest = typeOf(step('two')({})(work('two')));
    await dropped;
    proxy.cut();
    expect(await lostRequest).toBe('StorageUnavailable');
    proxy.mode = 'pass';
    await ready(client);
    expect(await step('two')({})(work('two'))).toBe('two#2');

    // The write is applied but its reply is lost: the retry runs the body again (at least once),
    // and the first stored output wins.
    proxy.mode = 'drop-replies';
    const answered = proxy.next('reply');
    const lostReply = typeOf(step('three')({})(work('three')));
    await answered;
    proxy.cut();
    expect(await lostReply).toBe('StorageUnavailable');
    proxy.mode = 'pass';
    await ready(client);
    expect(await step('three')({})(work('three'))).toBe('three#1');

    await complete(storage)(cp);
    const stored = await redisStorage({ client: ioredisClient(await open(server.url)), prefix }).read(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null, attempt: 1 });
    const outputs = Object.fromEntries((stored?.steps ?? []).map((s) => [s.name, s.output]));
    expect(outputs).toEqual({ one: '"one#1"', two: '"two#2"', three: '"three#1"' });
    expect(calls).toEqual(['one', 'two', 'two', 'three', 'three']);
  });
});

/** Resolves once the client is connected again (it reconnects by itself, every 20 ms). */
const ready = async (client: Redis): Promise<void> => {
  if (client.status !== 'ready') await once(client, 'ready');
};
