import {
  FOREVER,
  manualClock,
  type RunSnapshot,
  type StepRecord,
  type Storage,
  signal,
} from '@td7x/durable-x';
import { uniqueKeyPrefix } from '@td7x/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import * as scripts from '../src/lua.ts';
import { PURGE_RUNS } from '../src/lua.ts';
import { type CuttableProxy, startProxy } from './proxy.ts';
import { connect, dropPrefix, sharedRedisUrl } from './support.ts';

/**
 * Requests that really arrive twice. ioredis' defaults (`autoResendUnfulfilledCommands`, an
 * offline queue, 20 retries) resend every command still unanswered when the connection drops:
 * here the server runs the script, its reply is lost on the way back (a TCP proxy drops it), the
 * connection is cut, and ioredis sends the same EVALSHA again once reconnected. The answer the
 * caller gets is the second arrival's, and the contract says what it must be (`contract.ts`).
 */
const prefix = uniqueKeyPrefix('resend');
const T0 = Date.UTC(2026, 0, 1);
let direct: Redis;
let proxy: CuttableProxy;
let resending: Redis;
/** The adapter on a direct connection: to set a run up and to see what is stored. */
let plain: Storage;
/** The adapter through the proxy, on a client with ioredis' default resending. */
let proxied: Storage;

beforeAll(async () => {
  direct = await connect(sharedRedisUrl());
  const { hostname, port } = new URL(sharedRedisUrl());
  proxy = await startProxy({ host: hostname, port: Number(port) });
  resending = new Redis(proxy.url, { lazyConnect: true, retryStrategy: () => 10 });
  resending.on('error', () => {}); // the cut connection; ioredis reconnects by itself
  await resending.connect();
  // Cached on the server first: a NOSCRIPT reply lost by the proxy would make no resend.
  for (const lua of Object.values(scripts)) await direct.script('LOAD', lua.source);
  plain = redisStorage({ client: ioredisClient(direct), prefix });
  proxied = redisStorage({ client: ioredisClient(resending), prefix });
});
afterAll(async () => {
  resending?.disconnect();
  await proxy?.close();
  await dropPrefix(direct, prefix);
  await direct?.quit();
});

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/**
 * Sends `request` through the proxy with its reply dropped, waits until the server has applied
 * it (`applied`, read on a direct connection), cuts the connection and lets ioredis resend it.
 * Resolves the answer to the resent request, after checking that the script reached the server
 * exactly twice.
 */
const resent = async <T>(request: () => Promise<T>, applied: () => Promise<boolean>): Promise<T> => {
  const sentBefore = proxy.forwarded.length;
  proxy.mode = 'drop-replies';
  const answer = request();
  await waitFor(applied);
  proxy.mode = 'pass';
  proxy.cut();
  const value = await answer;
  const sent = proxy.forwarded.slice(sentBefore);
  expect(sent).toHaveLength(2);
  expect(sent[0]).toBe(sent[1]);
  return value;
};

const signalRecord = (name: string, output: string, at: number): StepRecord => ({
  key: `${name}#signal`,
  name,
  seq: 0,
  output,
  at,
});

/** Everything but the records' order, which is the backend's. */
const sorted = (snapshot: RunSnapshot | undefined) =>
  snapshot && {
    run: snapshot.run,
    steps: [...snapshot.steps].sort((a, b) => a.key.localeCompare(b.key)),
    cleanups: [...snapshot.cleanups].sort((a, b) => a.id - b.id),
  };

let counter = 0;
const newRunId = (label: string) => `${label}:${++counter}`;

describe('a request resent by ioredis after its reply was lost', () => {
  it('claim taking over a suspended run answers as the first: previousStatus suspended, attempt 2', async () => {
    const runId = newRunId('claim-takeover');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    await plain.putStep({
      runId,
      owner: 'a',
      record: { key: 's#1', name: 's', seq: 1, output: '1', at: T0 },
    });
    await plain.suspend({ runId, owner: 'a', at: T0 + 1, wakeAt: T0 + 10 });
    const answer = await resent(
      () => proxied.claim({ runId, owner: 'b', now: T0 + 10, leaseMs: 30_000 }),
      async () => (await plain.read(runId))?.run.owner === 'b',
    );
    const stored = await plain.read(runId);
    expect(stored?.run).toMatchObject({ status: 'running', owner: 'b', attempt: 2, updatedAt: T0 + 10 });
    expect(answer).toMatchObject({ kind: 'claimed', previousStatus: 'suspended' });
    expect(answer.kind === 'claimed' && sorted(answer.snapshot)).toEqual(sorted(stored));
  });

  it('claim creating a run answers as the first: previousStatus null, attempt 1', async () => {
    const runId = newRunId('claim-create');
    const answer = await resent(
      () => proxied.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 }),
      async () => (await plain.read(runId)) !== undefined,
    );
    expect(answer).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
      snapshot: { run: { owner: 'a', attempt: 1, status: 'running' } },
    });
    expect((await plain.read(runId))?.run.attempt).toBe(1);
  });

  it('claim with ifOwner answers as the first, and takes over nothing more', async () => {
    const runId = newRunId('claim-if-owner');
    await plain.claim({ runId, owner: 'dead', now: T0, leaseMs: 30_000 });
    const answer = await resent(
      () => proxied.claim({ runId, owner: 'b', now: T0 + 1, leaseMs: 30_000, ifOwner: 'dead' }),
      async () => (await plain.read(runId))?.run.owner === 'b',
    );
    expect(answer).toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
      snapshot: { run: { attempt: 2 } },
    });
    expect((await plain.read(runId))?.run).toMatchObject({ owner: 'b', attempt: 2 });
  });

  it('putSignal answers exists with the very record it sent, byte for byte, and wakes the run once', async () => {
    const runId = newRunId('signal');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    await plain.suspend({ runId, owner: 'a', at: T0 + 1, wakeAt: FOREVER, signalKey: 'go#signal' });
    // A payload with every kind of character an encoded value may hold, newlines included.
    const record = signalRecord('go', JSON.stringify({ text: 'é🚀\n\r\t"\\\u0001', n: 1.5e300 }), T0 + 2);
    const answer = await resent(
      () => proxied.putSignal({ runId, record, now: T0 + 2, maxSignals: 1 }),
      async () => ((await plain.read(runId))?.steps.length ?? 0) > 0,
    );
    // The second arrival met the stored record (and a full run: existing records come first).
    expect(answer).toEqual({ kind: 'exists', record, status: 'suspended' });
    const stored = await plain.read(runId);
    expect(stored?.steps).toEqual([record]);
    expect(stored?.run).toMatchObject({ status: 'suspended', owner: null, leaseExpiresAt: T0 + 2 });
  });

  it('through the core, a resent signal is reported accepted: the core knows its own record', async () => {
    const runId = newRunId('signal-core');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    const clock = manualClock(T0 + 1);
    const report = await resent(
      () => signal(proxied, { clock })(runId)('approve')({ by: 'ü', at: new Date(T0) }),
      async () => ((await plain.read(runId))?.steps.length ?? 0) > 0,
    );
    expect(report).toEqual({ runId, name: 'approve', accepted: true, status: 'running' });
    // Another sender of the same name is not.
    expect(await signal(plain, { clock })(runId)('approve')({ by: 'someone else' })).toMatchObject({
      accepted: false,
    });
  });

  it('putStep answers exists with its own record', async () => {
    const runId = newRunId('step');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    const record = { key: 's#1', name: 's', seq: 1, output: '"one"', at: T0 };
    const answer = await resent(
      () => proxied.putStep({ runId, owner: 'a', record }),
      async () => ((await plain.read(runId))?.steps.length ?? 0) > 0,
    );
    expect(answer).toEqual({ kind: 'exists', record });
  });

  it('finish answers ok (not lease-lost) and changes nothing more', async () => {
    const runId = newRunId('finish');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    await plain.putCleanup({
      runId,
      owner: 'a',
      record: { id: 1, name: 'undo', seq: 1, params: '{}', at: T0 },
    });
    const answer = await resent(
      () =>
        proxied.finish({
          runId,
          owner: 'a',
          status: 'failed',
          at: T0 + 5,
          error: '"no"',
          dropCleanups: false,
        }),
      async () => (await plain.read(runId))?.run.status === 'failed',
    );
    expect(answer).toBe('ok');
    const stored = await plain.read(runId);
    expect(stored?.run).toMatchObject({ status: 'failed', owner: null, error: '"no"', updatedAt: T0 + 5 });
    expect(stored?.cleanups.map((c) => c.name)).toEqual(['undo']);
  });

  it('suspend answers the wake time it stored', async () => {
    const runId = newRunId('suspend');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    const answer = await resent(
      () => proxied.suspend({ runId, owner: 'a', at: T0 + 1, wakeAt: T0 + 1_000 }),
      async () => (await plain.read(runId))?.run.status === 'suspended',
    );
    expect(answer).toEqual({ kind: 'suspended', wakeAt: T0 + 1_000 });
  });

  it('cancel answers the head after the change, and the owner keeps its lease', async () => {
    const runId = newRunId('cancel');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    const answer = await resent(
      () => proxied.cancel({ runId, at: T0 + 3 }),
      async () => (await plain.read(runId))?.run.status === 'cancelled',
    );
    expect(answer).toEqual({ kind: 'cancelled', run: (await plain.read(runId))?.run });
    expect(answer).toMatchObject({ run: { owner: 'a', leaseExpiresAt: T0 + 30_000, updatedAt: T0 + 3 } });
  });

  it('rollback, putCleanup and setLease answer ok and leave what one arrival left', async () => {
    const runId = newRunId('fenced');
    await plain.claim({ runId, owner: 'a', now: T0, leaseMs: 30_000 });
    for (const seq of [1, 2, 3]) {
      await plain.putStep({
        runId,
        owner: 'a',
        record: { key: `s#${seq}`, name: 's', seq, output: '1', at: T0 },
      });
    }
    const undo = { id: 2, name: 'undo', seq: 2, params: '{"x":1}', at: T0 };
    expect(
      await resent(
        () => proxied.putCleanup({ runId, owner: 'a', record: undo }),
        async () => ((await plain.read(runId))?.cleanups.length ?? 0) > 0,
      ),
    ).toBe('ok');
    expect((await plain.read(runId))?.cleanups).toEqual([undo]);
    expect(
      await resent(
        () => proxied.rollback({ runId, owner: 'a', cleanupId: 2, afterSeq: 1 }),
        async () => ((await plain.read(runId))?.cleanups.length ?? 1) === 0,
      ),
    ).toBe('ok');
    expect((await plain.read(runId))?.steps.map((s) => s.key)).toEqual(['s#1']);
    expect(
      await resent(
        () => proxied.setLease({ runId, owner: 'a', leaseExpiresAt: T0 + 60_000, now: T0 + 7 }),
        async () => (await plain.read(runId))?.run.updatedAt === T0 + 7,
      ),
    ).toBe('ok');
    expect((await plain.read(runId))?.run).toMatchObject({ leaseExpiresAt: T0 + 60_000, owner: 'a' });
  });

  it('purge deletes nothing the first arrival did not choose', async () => {
    const own = `${prefix}purge:`;
    const plainOwn = redisStorage({ client: ioredisClient(direct), prefix: own, buckets: 1 });
    const deletion = await PURGE_RUNS.sha1();
    // The first round (choosing the runs) is answered; the reply of the second (deleting them) is
    // lost: the proxy drops replies from the moment the deletion is sent.
    const inner = ioredisClient(resending);
    const proxiedOwn = redisStorage({
      client: {
        evalsha: (sha1, keys, args) => {
          if (sha1 === deletion) proxy.mode = 'drop-replies';
          return inner.evalsha(sha1, keys, args);
        },
        eval: inner.eval,
      },
      prefix: own,
      buckets: 1,
    });
    for (const [i, runId] of ['p1', 'p2', 'p3'].entries()) {
      await plainOwn.claim({ runId, owner: 'a', now: T0 + i, leaseMs: 1 });
      await plainOwn.finish({
        runId,
        owner: 'a',
        status: 'completed',
        at: T0 + i,
        error: null,
        dropCleanups: true,
      });
    }
    const sentBefore = proxy.forwarded.length;
    const purging = proxiedOwn.purge({ statuses: ['completed'], updatedBefore: T0 + 10, limit: 2 });
    await waitFor(async () => (await plainOwn.read('p2')) === undefined);
    proxy.mode = 'pass';
    proxy.cut();
    // The resent deletion finds its two runs gone: it reports them as not deleted by it.
    expect(await purging).toBeLessThanOrEqual(2);
    expect(proxy.forwarded.slice(sentBefore).filter((sha) => sha === deletion)).toHaveLength(2);
    expect(await plainOwn.read('p1')).toBeUndefined();
    expect((await plainOwn.read('p3'))?.run.status).toBe('completed');
  });
});
