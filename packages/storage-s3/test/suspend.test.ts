import { FOREVER, type StepRecord } from '@td7x/durable-x';
import { describe, expect, it } from 'vitest';
import { s3Storage } from '../src/index.ts';
import { runKeyOf } from '../src/keys.ts';
import { bucketForFile } from './file-bucket.ts';
import { countRequests } from './support.ts';

// suspend, putSignal and cancel where S3 differs from a database: the document as stored, the
// unfenced writes racing other processes' cached ETags, and signals too large to inline.

const LEASE = 30_000;
const T0 = Date.UTC(2026, 0, 1);
const b = bucketForFile('suspend');

/** A fresh adapter with its own client: what another process builds. */
const instance = (prefix: string) => {
  const client = b.client();
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
    // A cancel keeps owner and lease: the parked run is claimed by whoever loads it next.
    expect(await documentOf(prefix, 'r')).toMatchObject({
      status: 'cancelled',
      owner: null,
      leaseExpiresAt: FOREVER,
      updatedAt: T0 + 2,
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

  it('a cancel from another process reaches the owner through its stale ETag: progress refused, undoing applied', async () => {
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
      run: { status: 'cancelled', owner: 'a', leaseExpiresAt: T0 + LEASE },
    });
    // Decided on its cached document, the owner's step gets 412, reads the cancel, and is refused;
    // its out-of-line value is deleted.
    const large = JSON.stringify('y'.repeat(500));
    const step = await measure(owner.requests, async () => {
      expect(
        await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#2', 2, large) }),
      ).toEqual({
        kind: 'cancelled',
      });
    });
    expect(step).toEqual({ PutObjectCommand: 2, GetObjectCommand: 1, DeleteObjectCommand: 1 });
    expect(await b.keys(`${prefix}values/`)).toEqual([]);
    // Keeping the lease while undoing is applied.
    expect(
      await owner.storage.setLease({ runId: 'r', owner: 'a', leaseExpiresAt: T0 + LEASE + 5, now: T0 + 5 }),
    ).toBe('cancelled');
    expect(await documentOf(prefix, 'r')).toMatchObject({
      status: 'cancelled',
      owner: 'a',
      leaseExpiresAt: T0 + LEASE + 5,
      steps: [],
      cleanups: [{ name: 'undo' }],
    });

    // The owner died: the next one claims the run once the lease ends, and it stays cancelled.
    const next = instance(prefix);
    expect(
      await next.storage.claim({ runId: 'r', owner: 'b', now: T0 + LEASE, leaseMs: LEASE }),
    ).toMatchObject({
      kind: 'busy',
    });
    const claimed = await next.storage.claim({ runId: 'r', owner: 'b', now: T0 + LEASE + 5, leaseMs: LEASE });
    expect(claimed).toMatchObject({ kind: 'claimed', previousStatus: 'cancelled' });
    // Claimed to run its cleanups, the cancelled run is cached like a running one: one PUT each.
    const cleanup = await measure(next.requests, () =>
      next.storage.rollback({ runId: 'r', owner: 'b', cleanupId: 1, afterSeq: 1 }),
    );
    expect(cleanup).toEqual({ PutObjectCommand: 1 });
    const finish = await measure(next.requests, () =>
      next.storage.finish({
        runId: 'r',
        owner: 'b',
        status: 'cancelled',
        at: T0 + LEASE + 6,
        error: null,
        dropCleanups: true,
      }),
    );
    expect(finish).toEqual({ PutObjectCommand: 1 });
    expect(await documentOf(prefix, 'r')).toMatchObject({ status: 'cancelled', owner: null, cleanups: [] });
  });
});
