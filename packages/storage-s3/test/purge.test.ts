import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { StepRecord } from '@td7x/durable-x';
import { describe, expect, it } from 'vitest';
import { TOMBSTONE_GRACE_MS } from '../src/documents.ts';
import { s3Storage } from '../src/index.ts';
import { runKeyOf } from '../src/keys.ts';
import { bucketForFile } from './file-bucket.ts';
import { beforeNext, nextAnswered } from './lose-answers.ts';

// purge against claims, on a server that ignores If-Match on DELETE (RGW): a run is deleted only
// if it still matches when deleted, and a claim racing the purge gets a run created anew.

const LEASE = 30_000;
const T0 = Date.UTC(2026, 0, 1);
const b = bucketForFile('purge');

/** Another process. Values over 100 bytes go out of line. */
const instance = (prefix: string) => {
  const client = b.client();
  return { storage: s3Storage({ client, bucket: b.bucket, prefix, inlineValueBytes: 100 }), client };
};

const record = (key: string, seq: number, output: string): StepRecord => ({
  key,
  name: key.split('#')[0] ?? key,
  seq,
  output,
  at: T0,
});

const big = JSON.stringify('v'.repeat(500));

/** A run `r` with one out-of-line step, finished with `status` at T0. */
const finishedRun = async (prefix: string, status: 'completed' | 'failed', runId = 'r') => {
  const { storage } = instance(prefix);
  await storage.claim({ runId, owner: 'a', now: T0, leaseMs: LEASE });
  await storage.putStep({ runId, owner: 'a', record: record('s#1', 1, big) });
  await storage.finish({ runId, owner: 'a', status, at: T0, error: null, dropCleanups: true });
};

describe('s3 purge: each run deleted only if it still matches when deleted', () => {
  it('keeps whole a run claimed between the purge reading it and deleting it', async () => {
    const prefix = 'claimed-meanwhile/';
    await finishedRun(prefix, 'failed');
    const purger = instance(prefix);
    const claimer = instance(prefix);
    // Just before the purge's first write to the run, another process claims it.
    beforeNext(purger.client, 'PutObjectCommand', () =>
      claimer.storage.claim({ runId: 'r', owner: 'b', now: T0 + 1, leaseMs: LEASE }),
    );
    expect(await purger.storage.purge({ statuses: ['failed'], updatedBefore: T0 + 1, limit: 10 })).toBe(0);
    const stored = await instance(prefix).storage.read('r');
    expect(stored?.run).toMatchObject({ status: 'running', owner: 'b', attempt: 2 });
    expect(stored?.steps.map((s) => s.output === big)).toEqual([true]);
    expect(await b.keys(`${prefix}values/`)).toHaveLength(1);
  });

  it('a claim arriving while the purge deletes the run waits, then creates it anew (no old records)', async () => {
    const prefix = 'claim-during/';
    await finishedRun(prefix, 'completed');
    const purger = instance(prefix);
    const claimer = instance(prefix);
    let claiming: ReturnType<typeof claimer.storage.claim> | undefined;
    // After the tombstone, before the values are listed: a claim reads the run being purged.
    beforeNext(
      purger.client,
      'ListObjectsV2Command',
      async () => {
        const seen = nextAnswered(claimer.client, 'GetObjectCommand');
        claiming = claimer.storage.claim({ runId: 'r', owner: 'b', now: T0 + 1, leaseMs: LEASE });
        await seen;
      },
      2,
    );
    expect(await purger.storage.purge({ statuses: ['completed'], updatedBefore: T0 + 1, limit: 10 })).toBe(1);
    const claimed = await claiming;
    expect(claimed).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
      snapshot: { run: { owner: 'b', attempt: 1, status: 'running' }, steps: [], cleanups: [] },
    });
    expect(await b.keys(`${prefix}values/`)).toEqual([]);
  });

  it('two purgers delete each run once', async () => {
    const prefix = 'two-purgers/';
    for (let i = 0; i < 5; i++) await finishedRun(prefix, 'completed', `r${i}`);
    const query = { statuses: ['completed' as const], updatedBefore: T0 + 1, limit: 10 };
    const counts = await Promise.all([
      instance(prefix).storage.purge(query),
      instance(prefix).storage.purge(query),
    ]);
    expect(counts[0] + counts[1]).toBe(5);
    expect(await b.keys(prefix)).toEqual([]);
  });
});

describe('s3 purge: a purger that died between its tombstone and its DELETE', () => {
  /** What a purger leaves when it dies after its tombstone: the tombstone and the run's values. */
  const deadPurge = async (prefix: string, runId: string) => {
    const runKey = await runKeyOf(runId);
    const put = (Key: string, Body: string) =>
      b.admin.send(new PutObjectCommand({ Bucket: b.bucket, Key, Body }));
    await put(
      `${prefix}runs/${runKey}`,
      JSON.stringify({ format: 'durable-x/s3@1', runId, incarnation: 'dead', purged: true, revision: 'x' }),
    );
    await put(`${prefix}values/${runKey}/dead/v1`, JSON.stringify('old'));
  };

  it('reads as an absent run to every operation; list skips it, purge deletes only its values', async () => {
    const prefix = 'tombstone-absent/';
    await deadPurge(prefix, 'r');
    const { storage } = instance(prefix);
    expect(await storage.read('r')).toBeUndefined();
    expect(await storage.putSignal({ runId: 'r', record: record('go#signal', 0, '"go"'), now: T0 })).toEqual({
      kind: 'not-found',
    });
    expect(await storage.cancel({ runId: 'r', at: T0 })).toEqual({ kind: 'not-found' });
    expect(await storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, '1') })).toEqual({
      kind: 'lease-lost',
    });
    expect(await storage.claim({ runId: 'r', owner: 'b', now: T0, leaseMs: LEASE, ifOwner: 'a' })).toEqual({
      kind: 'not-found',
    });
    expect(await storage.list({ limit: 10 })).toEqual([]);
    // A purge deletes the values it left (no run can reference them again), not the tombstone.
    expect(
      await storage.purge({ statuses: ['completed'], updatedBefore: Number.MAX_SAFE_INTEGER, limit: 10 }),
    ).toBe(0);
    expect(await b.keys(prefix)).toEqual([`${prefix}runs/id.r`]);
  });

  it('a claim does not write over a recent tombstone: it waits, then fails (the purge may still be running)', async () => {
    const prefix = 'tombstone-recent/';
    await deadPurge(prefix, 'r');
    const { storage } = instance(prefix);
    // `now` on the server's clock, as the core's would be: the tombstone was just written.
    await expect(storage.claim({ runId: 'r', owner: 'b', now: Date.now(), leaseMs: LEASE })).rejects.toThrow(
      /being purged/,
    );
    expect(await b.keys(prefix)).toHaveLength(2);
  }, 15_000);

  it(`a claim replaces a tombstone older than ${TOMBSTONE_GRACE_MS / 60_000} minutes, and deletes what it left`, async () => {
    const prefix = 'tombstone-old/';
    await deadPurge(prefix, 'r');
    const { storage } = instance(prefix);
    const now = Date.now() + TOMBSTONE_GRACE_MS + 60_000;
    expect(await storage.claim({ runId: 'r', owner: 'b', now, leaseMs: LEASE })).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
      snapshot: { run: { owner: 'b', attempt: 1 }, steps: [] },
    });
    expect(await b.keys(`${prefix}values/`)).toEqual([]);
  });
});
