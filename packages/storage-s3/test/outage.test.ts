import { beforeRisky, complete, durable, load, manualClock } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { type BreakableProxy, startProxy } from '@td7x/testing/tcp-proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Storage } from '../src/index.ts';
import { bucketForFile } from './file-bucket.ts';
import { rawReader } from './raw.ts';

const prefix = 'outage/';
const LEASE = 30_000;
const b = bucketForFile('outage');
let proxy: BreakableProxy;
beforeAll(async () => {
  proxy = await startProxy(process.env.TEST_S3_ENDPOINT as string);
});
afterAll(async () => {
  await proxy?.close();
});

/** A client through the proxy, with the timeouts the README recommends and the SDK's default retries. */
const throughProxy = () => {
  const client = b.client({
    endpoint: proxy.endpoint,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
  return s3Storage({ client, bucket: b.bucket, prefix });
};

describe('s3: the server goes away', () => {
  it('fails with StorageUnavailable while down, leaves nothing half-written, and the run resumes', async () => {
    proxy.setMode('pass');
    const storage = throughProxy();
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const runId = 'outage/down';
    const undone: unknown[] = [];
    const registry = { undo: (p: Record<string, unknown>) => void undone.push(p) };
    const cp = await load(storage, { clock, leaseMs: LEASE })(registry)(runId);
    await durable(storage)(cp)('a')({})(() => 'a');
    await beforeRisky(storage)(cp)('undo')({ n: 1 });
    const before = await rawReader(b, prefix).readRun(runId);

    proxy.setMode('refuse');
    let ranB = 0;
    const started = Date.now();
    const step = await R.durable(storage)(cp)('b')({})(() => `b${++ranB}`);
    expect(step.isErr() && step.error.type).toBe('StorageUnavailable');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ranB).toBe(1); // the body ran; its record could not be written
    const done = await R.complete(storage)(cp);
    expect(done.isErr() && done.error.type).toBe('StorageUnavailable');

    proxy.setMode('pass');
    expect(await rawReader(b, prefix).readRun(runId)).toEqual(before);
    clock.advance(LEASE * 2);
    const direct = b.client();
    const fresh = s3Storage({ client: direct, bucket: b.bucket, prefix });
    const resumed = await load(fresh, { clock, leaseMs: LEASE })(registry)(runId);
    expect(resumed.cleanupsRun).toEqual(['undo']);
    expect(undone).toEqual([{ n: 1 }]);
    expect(await durable(fresh)(resumed)('a')({})(() => 'not again')).toBe('a');
    expect(await durable(fresh)(resumed)('b')({})(() => `b${++ranB}`)).toBe('b2');
    await complete(fresh)(resumed);
    expect((await fresh.read(runId))?.run).toMatchObject({ status: 'completed', attempt: 2 });
  }, 60_000);

  it('a write that landed but whose answer was lost counts once: claim, step and complete', async () => {
    proxy.setMode('pass');
    const storage = throughProxy();
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const runId = 'outage/lost-answers';
    const droppedBefore = proxy.dropped();

    proxy.setMode('drop-next-put-answer'); // the claim's create
    const cp = await load(storage, { clock, leaseMs: LEASE })({})(runId);
    expect(cp.attempt).toBe(1);

    proxy.setMode('drop-next-put-answer'); // the step's record
    let ran = 0;
    expect(await durable(storage)(cp)('s')({})(() => ++ran)).toBe(1);

    proxy.setMode('drop-next-put-answer'); // the completion
    await complete(storage)(cp);

    expect(proxy.dropped() - droppedBefore).toBe(3);
    const stored = await storage.read(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null, attempt: 1 });
    expect(stored?.steps.map((s) => [s.name, s.output])).toEqual([['s', '1']]);
    expect(ran).toBe(1);
  }, 60_000);
});
