import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FOREVER, type StepRecord } from '@td7x/durable-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Storage } from '../src/index.ts';
import { runKeyOf } from '../src/keys.ts';
import { countRequests, type FreshBucket, freshBucket, newClient } from './support.ts';

// suspend, putSignal and cancel where S3 differs from a database: the document as stored, the
// unfenced writes racing other processes' cached ETags, and signals too large to inline.

const LEASE = 30_000;
const T0 = Date.UTC(2026, 0, 1);
let b: FreshBucket;
const clients: S3Client[] = [];
beforeAll(async () => {
  b = await freshBucket('suspend');
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await b?.drop();
});

/** A fresh adapter with its own client: what another process builds. */
const instance = (prefix: string) => {
  const client = newClient();
  clients.push(client);
  const requests = countRequests(client);
  return { storage: s3Storage({ client, bucket: b.bucket, prefix, inlineValueBytes: 100 }), requests };
};

/** Requests by S3 command made while `f` runs. */
const measure = async (requests: ReturnType<typeof countRequests>, f: () => Promise<unknown>) => {
  const before = new Map(requests.byCommand);
  await f();
  const by: Record<string, number> = {};
  for (const [k, v] of requests.byCommand) if (v - (before.get(k) ?? 0) > 0) by[k] = v - (before.get(k) ?? 0);
  return by;
};

const record = (key: string, seq: number, output: string): StepRecord => ({
  key,
  name: key.split('#')[0] ?? key,
  seq,
  output,
  at: T0,
});

const documentOf = async (prefix: string, runId: string) =>
  JSON.parse((await b.getText(`${prefix}runs/${await runKeyOf(runId)}`)) ?? 'null');

describe('s3 adapter: suspend, signals, cancel', () => {
  it('stores the new statuses and a FOREVER wake time as plain JSON, byte for byte', async () => {
    const prefix = 'layout/';
    const { storage } = instance(prefix);
    await storage.claim({ runId: 'r', owner: 'a', now: T0, leaseMs: LEASE });
    await storage.suspend({ runId: 'r', owner: 'a', at: T0 + 1, wakeAt: FOREVER, signalKey: 'go#signal' });
    const text = (await b.getText(`${prefix}runs/${await runKeyOf('r')}`)) ?? '';
    expect(text).toContain('"leaseExpiresAt":8640000000000000');
    expect(JSON.parse(text)).toMatchObject({ status: 'suspended', owner: null, updatedAt: T0 + 1 });
    await storage.cancel({ runId: 'r', at: T0 + 2 });
    expect(await documentOf(prefix, 'r')).toMatchObject({
      status: 'cancelled',
      owner: null,
      leaseExpiresAt: 0,
    });
  });

  it('a signal from another process is one GET + one PUT, and the owner keeps it through its stale ETag', async () => {
    const prefix = 'signal-owner/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await owner.storage.claim({ runId: 'r', owner: 'a', now: T0, leaseMs: LEASE });
    const signal = record('go#signal', 0, '"hi"');
    expect(
      await measure(sender.requests, () => sender.storage.putSignal({ runId: 'r', record: signal, now: T0 })),
    ).toEqual({ GetObjectCommand: 1, PutObjectCommand: 1 });
    // The owner decides on its cached document: 412, a fresh GET, then its step goes in beside the signal.
    const step = await measure(owner.requests, () =>
      owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, '1') }),
    );
    expect(step).toEqual({ PutObjectCommand: 2, GetObjectCommand: 1 });
    expect((await documentOf(prefix, 'r')).steps.map((s: { key: string }) => s.key)).toEqual([
      'go#signal',
      's#1',
    ]);
  });

  it('stores a large signal out of line without an owner, and lets one of several processes win', async () => {
    const prefix = 'signal-race/';
    const owner = instance(prefix);
    await owner.storage.claim({ runId: 'r', owner: 'a', now: T0, leaseMs: LEASE });
    await owner.storage.suspend({ runId: 'r', owner: 'a', at: T0, wakeAt: T0 + 3_600_000 });
    const senders = Array.from({ length: 6 }, () => instance(prefix));
    const payload = (i: number) => JSON.stringify(`${i}`.repeat(5_000));
    const outcomes = await Promise.all(
      senders.map((s, i) =>
        s.storage.putSignal({ runId: 'r', record: record('go#signal', 0, payload(i)), now: T0 + 10 + i }),
      ),
    );
    const written = outcomes.flatMap((o, i) => (o.kind === 'written' ? [i] : []));
    expect(written).toHaveLength(1);
    const winner = payload(written[0] as number);
    for (const o of outcomes) {
      expect(o.kind === 'written' || o.kind === 'exists').toBe(true);
      if (o.kind === 'exists') expect(o.record.output === winner).toBe(true);
      if (o.kind !== 'not-found') expect(o.status).toBe('suspended');
    }
    const doc = await documentOf(prefix, 'r');
    expect(doc.steps[0].output).toEqual({ blob: expect.any(String), bytes: winner.length });
    expect(doc.leaseExpiresAt).toBe(T0 + 10 + (written[0] as number));
    // The losers' uploads are deleted: only the winner's value remains.
    expect(await b.keys(`${prefix}values/`)).toHaveLength(1);
    const read = await instance(prefix).storage.read('r');
    expect(read?.steps[0]?.output === winner).toBe(true);
  });

  it('refuses a large signal to an absent run without leaving a value behind', async () => {
    const prefix = 'signal-absent/';
    const { storage } = instance(prefix);
    const big = JSON.stringify('x'.repeat(5_000));
    expect(await storage.putSignal({ runId: 'none', record: record('go#signal', 0, big), now: T0 })).toEqual({
      kind: 'not-found',
    });
    expect(await b.keys(prefix)).toEqual([]);
  });

  it("a cancel from another process fences the owner's cached writes, and the next owner keeps it cancelled", async () => {
    const prefix = 'cancel/';
    const owner = instance(prefix);
    const canceller = instance(prefix);
    await owner.storage.claim({ runId: 'r', owner: 'a', now: T0, leaseMs: LEASE });
    await owner.storage.putCleanup({
      runId: 'r',
      owner: 'a',
      record: { id: 1, name: 'undo', seq: 1, params: '{}', at: T0 },
    });
    expect(await canceller.storage.cancel({ runId: 'r', at: T0 + 1 })).toMatchObject({
      kind: 'cancelled',
      run: { status: 'cancelled', owner: null },
    });
    const large = JSON.stringify('y'.repeat(500));
    expect(await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#2', 2, large) })).toEqual({
      kind: 'lease-lost',
    });
    expect(
      await owner.storage.setLease({ runId: 'r', owner: 'a', leaseExpiresAt: T0 + LEASE, now: T0 }),
    ).toBe('lease-lost');
    expect(await b.keys(`${prefix}values/`)).toEqual([]);

    const next = instance(prefix);
    const claimed = await next.storage.claim({ runId: 'r', owner: 'b', now: T0 + 2, leaseMs: LEASE });
    expect(claimed).toMatchObject({ kind: 'claimed', previousStatus: 'cancelled' });
    // Claimed to run its cleanups, the cancelled run is cached like a running one: one PUT each.
    const cleanup = await measure(next.requests, () =>
      next.storage.removeCleanup({ runId: 'r', owner: 'b', id: 1 }),
    );
    expect(cleanup).toEqual({ PutObjectCommand: 1 });
    const finish = await measure(next.requests, () =>
      next.storage.finish({
        runId: 'r',
        owner: 'b',
        status: 'cancelled',
        at: T0 + 3,
        error: null,
        dropCleanups: true,
      }),
    );
    expect(finish).toEqual({ PutObjectCommand: 1 });
    expect(await documentOf(prefix, 'r')).toMatchObject({ status: 'cancelled', owner: null, cleanups: [] });
  });

  it('suspends, signals and cancels a run document written by the previous version', async () => {
    const prefix = 'old/';
    const runKey = await runKeyOf('old run');
    // The exact shape 0.1.0 wrote (README "Object layout"); statuses are plain strings, no migration.
    const old = {
      format: 'durable-x/s3@1',
      runId: 'old run',
      incarnation: 'f00d',
      status: 'running',
      owner: 'a',
      leaseExpiresAt: T0 + LEASE,
      attempt: 1,
      createdAt: T0,
      updatedAt: T0,
      error: null,
      steps: [{ key: 's#1', name: 's', seq: 1, at: T0, output: { text: '1' } }],
      cleanups: [],
      revision: 'r0',
    };
    const { storage } = instance(prefix);
    await b.admin.send(
      new PutObjectCommand({ Bucket: b.bucket, Key: `${prefix}runs/${runKey}`, Body: JSON.stringify(old) }),
    );
    expect(await storage.suspend({ runId: 'old run', owner: 'a', at: T0 + 1, wakeAt: T0 + 100 })).toEqual({
      kind: 'suspended',
      wakeAt: T0 + 100,
    });
    expect(
      await storage.putSignal({ runId: 'old run', record: record('go#signal', 0, '"go"'), now: T0 + 2 }),
    ).toEqual({ kind: 'written', status: 'suspended' });
    const resumed = await storage.claim({ runId: 'old run', owner: 'b', now: T0 + 3, leaseMs: LEASE });
    expect(resumed).toMatchObject({ kind: 'claimed', previousStatus: 'suspended' });
    expect(resumed.kind === 'claimed' && resumed.snapshot.steps.map((s) => s.key)).toEqual([
      's#1',
      'go#signal',
    ]);
    expect(await storage.cancel({ runId: 'old run', at: T0 + 4 })).toMatchObject({ kind: 'cancelled' });
  });
});
