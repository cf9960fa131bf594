import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@td7x/durable-x';
import { afterAll, describe, expect, it } from 'vitest';
import { s3Storage, verifyConditionalWrites } from '../src/index.ts';
import { bucketForFile } from './file-bucket.ts';

// Apps sharing a bucket under different prefixes must never see each other's runs: no prefix's
// objects may fall under another's folders (README "Prefixes").

const LEASE = 30_000;
const T0 = Date.UTC(2026, 0, 1);
const b = bucketForFile('tenants');

const app = (prefix: string): Storage => {
  const client = b.client();
  return s3Storage({ client, bucket: b.bucket, prefix, inlineValueBytes: 100 });
};

describe('s3 prefixes: refused when they could overlap another', () => {
  const offline = new S3Client({ region: 'us-east-1' });
  afterAll(() => offline.destroy());

  it.each([
    ['jobs/runs/', 'a folder the adapter uses under jobs/'],
    ['runs/', "the adapter's folder under ''"],
    ['jobs/values/', 'values folder'],
    ['probe/', 'probe folder'],
    ['a/Runs/', 'reserved in any case'],
    ['jobs', 'no trailing slash: jobs + runs/ is jobsruns/'],
    ['a//', 'empty folder'],
    ['./', 'dot folder'],
    ['a/../', 'dot-dot folder'],
    ['a b/', 'space'],
    ['a%2F/', 'percent'],
    ['é/', 'non-ASCII'],
    [`${'p'.repeat(256)}/`, 'longer than 256 bytes'],
  ])('refuses %j (%s) with a TypeError, before any request', async (prefix) => {
    expect(() => s3Storage({ client: offline, bucket: 'x', prefix })).toThrow(TypeError);
    await expect(verifyConditionalWrites({ client: offline, bucket: 'x', prefix })).rejects.toThrow(
      TypeError,
    );
  });

  it.each(['', 'jobs/', 'jobs/a/', 'tenant-1/app.v2/', 'runs.old/'])('accepts %j', (prefix) => {
    expect(() => s3Storage({ client: offline, bucket: 'x', prefix })).not.toThrow();
  });
});

describe('s3 prefixes: apps on nested prefixes of one bucket', () => {
  it("list, find due and purge see only the app's own runs, values included", async () => {
    const prefixes = ['', 'jobs/', 'jobs/a/'];
    const apps = prefixes.map(app);
    const big = JSON.stringify('v'.repeat(500));
    for (const [i, storage] of apps.entries()) {
      for (const status of ['running', 'suspended', 'completed'] as const) {
        const runId = `${status}-${i}`;
        await storage.claim({ runId, owner: 'o', now: T0, leaseMs: LEASE });
        await storage.putStep({
          runId,
          owner: 'o',
          record: { key: 's#1', name: 's', seq: 1, output: big, at: T0 },
        });
        if (status === 'suspended') await storage.suspend({ runId, owner: 'o', at: T0, wakeAt: T0 + 1 });
        if (status === 'completed') {
          await storage.finish({ runId, owner: 'o', status, at: T0, error: null, dropCleanups: true });
        }
      }
    }
    for (const [i, storage] of apps.entries()) {
      const listed = await storage.list({ limit: 100 });
      expect(listed.map((h) => h.runId).sort()).toEqual([`completed-${i}`, `running-${i}`, `suspended-${i}`]);
      const due = await storage.list({ statuses: ['suspended'], leaseExpiredAt: T0 + 1, limit: 100 });
      expect(due.map((h) => h.runId)).toEqual([`suspended-${i}`]);
    }
    // The outermost app purges everything it may: only its own run goes.
    const everything = ['running', 'suspended', 'completed'] as const;
    expect(await apps[0]?.purge({ statuses: [...everything], updatedBefore: T0 + 10, limit: 100 })).toBe(3);
    for (const [i, storage] of apps.entries()) {
      const left = await storage.list({ limit: 100 });
      expect(left).toHaveLength(i === 0 ? 0 : 3);
      if (i > 0) {
        const read = await storage.read(`running-${i}`);
        expect(read?.steps[0]?.output === big).toBe(true);
      }
    }
  });

  it('skips objects under runs/ that cannot be a run document (put there by something else)', async () => {
    const storage = app('stray/');
    await storage.claim({ runId: 'mine', owner: 'o', now: T0, leaseMs: LEASE });
    for (const Key of ['stray/runs/notes/readme.txt', 'stray/runs/id.x/y']) {
      await b.admin.send(new PutObjectCommand({ Bucket: b.bucket, Key, Body: 'not a run' }));
    }
    expect((await storage.list({ limit: 10 })).map((h) => h.runId)).toEqual(['mine']);
  });
});
