import { S3Client } from '@aws-sdk/client-s3';
import { beforeRisky, complete, durable, load, manualClock, type Storage } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { hostileRunIds } from '@td7x/durable-x-testkit';
import { describe, expect, it } from 'vitest';
import { S3_SIGNAL_LIMITS, s3Storage, verifyConditionalWrites } from '../src/index.ts';
import { runKeyOf } from '../src/keys.ts';
import { bucketForFile } from './file-bucket.ts';
import { rawReader } from './raw.ts';
import { countRequests } from './support.ts';

const FIVE_MB = 5_000_000;
const LEASE = 30_000;
const b = bucketForFile('adapter');

/** A fresh adapter with its own client: what a new process builds. */
const adapter = (prefix: string, options: { inlineValueBytes?: number } = {}) => {
  const client = b.client();
  const requests = countRequests(client);
  const storage = s3Storage({ client, bucket: b.bucket, prefix, ...options });
  return { storage, requests, client };
};

/** Requests (by S3 command) made while `f` runs. */
const measure = async (requests: ReturnType<typeof countRequests>, f: () => Promise<unknown>) => {
  const before = new Map(requests.byCommand);
  const total = requests.count();
  await f();
  const by: Record<string, number> = {};
  for (const [k, v] of requests.byCommand) if (v - (before.get(k) ?? 0) > 0) by[k] = v - (before.get(k) ?? 0);
  return { total: requests.count() - total, by };
};

const bigText = (seed: string) => seed.repeat(Math.ceil(FIVE_MB / seed.length)).slice(0, FIVE_MB);

describe('s3 adapter: object layout and keys', () => {
  it('makes no request until a method is called', () => {
    const { requests } = adapter('lazy/');
    expect(requests.count()).toBe(0);
  });

  it('stores one document per run under runs/, and large values beside it under values/', async () => {
    const prefix = 'layout/';
    const { storage } = adapter(prefix);
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const cp = await load(storage, { clock })({ undo: () => undefined })('order 7');
    await durable(storage)(cp)('small')({})(() => 'tiny');
    await durable(storage)(cp)('large')({})(() => bigText('abc'));
    await beforeRisky(storage)(cp)('undo')({ n: 1 });
    const runKey = await runKeyOf('order 7');
    expect(runKey).toBe('id.order!207');
    const keys = await b.keys(prefix);
    const doc = JSON.parse((await b.getText(`${prefix}runs/${runKey}`)) ?? '{}');
    expect(keys.sort()).toEqual(
      [
        `${prefix}runs/${runKey}`,
        `${prefix}values/${runKey}/${doc.incarnation}/${doc.steps[1].output.blob}`,
      ].sort(),
    );
    expect(doc).toMatchObject({
      format: 'durable-x/s3@1',
      runId: 'order 7',
      status: 'running',
      attempt: 1,
      steps: [
        { name: 'small', output: { text: '"tiny"' } },
        { name: 'large', output: { blob: expect.any(String), bytes: FIVE_MB + 2 } },
      ],
      cleanups: [{ name: 'undo', params: { text: '{"n":1}' } }],
    });
  });

  it('maps every hostile id to a distinct, short, plain-ASCII key', async () => {
    const ids = [...hostileRunIds('k'), 'a/b', 'a%2Fb', 'a!2Fb', '..', '.', 'é', 'e\u0301', '🚀'.repeat(256)];
    const keys = await Promise.all(ids.map(runKeyOf));
    expect(new Set(keys).size).toBe(ids.length);
    for (const key of keys) {
      expect(key).toMatch(/^(id\.[A-Za-z0-9._!-]{0,200}|sha256\.[0-9a-f]{64})$/);
      expect(key.length).toBeLessThanOrEqual(203);
    }
    expect(await runKeyOf('a/b')).toBe('id.a!2Fb');
    expect(await runKeyOf('a%2Fb')).toBe('id.a!252Fb');
    expect(await runKeyOf('a!2Fb')).toBe('id.a!212Fb');
    expect(await runKeyOf('🚀'.repeat(256))).toMatch(/^sha256\./);
  });

  it('verifyConditionalWrites passes on this server and leaves nothing behind', async () => {
    const client = b.client();
    await verifyConditionalWrites({ client, bucket: b.bucket, prefix: 'verify/' });
    expect(await b.keys('verify/')).toEqual([]);
  });

  it('refuses a prefix that would leave no room for keys', () => {
    expect(() => s3Storage({ client: new S3Client({}), bucket: 'x', prefix: 'p'.repeat(257) })).toThrow(
      /prefix/,
    );
  });

  it.each([
    ['concurrency', 0],
    ['concurrency', Number.NaN],
    ['documentBudget', -1],
    ['inlineValueBytes', 1.5],
    ['cachedRuns', Number.POSITIVE_INFINITY],
    ['maxValueBytes', 0],
  ])('refuses %s: %s at construction, before any I/O', (name, value) => {
    const client = new S3Client({});
    client.send = () => Promise.reject(new Error('no I/O expected'));
    expect(() => s3Storage({ client, bucket: 'x', [name]: value })).toThrow(new RegExp(`${name} must be`));
  });

  it('reports a missing bucket as a storage failure, not a lost race', async () => {
    const client = b.client();
    const storage = s3Storage({ client, bucket: `${b.bucket}-missing`, prefix: '' });
    const outcome = await R.load(storage)({})('any');
    expect(outcome.isErr() && outcome.error.type).toBe('StorageUnavailable');
  });
});

describe('s3 adapter: signal limits', () => {
  it('declares signals of at most 2 KiB to the core, which the caller may change', () => {
    const offline = new S3Client({ region: 'us-east-1' });
    const build = (signalLimits?: { perRun?: number; bytes?: number }) =>
      s3Storage({ client: offline, bucket: 'x', ...(signalLimits ? { signalLimits } : {}) }).signalLimits;
    expect(build()).toEqual({ bytes: 2048 });
    expect(build({ perRun: 32 })).toEqual({ perRun: 32, bytes: 2048 });
    expect(build({ bytes: 8192 })).toEqual({ bytes: 8192 });
    for (const limits of [{ perRun: 0 }, { bytes: 1.5 }, { perRun: -1 }])
      expect(() => build(limits)).toThrow(TypeError);
    offline.destroy();
  });

  it('makes the core refuse a signal over 2 KiB before writing, and take one under it', async () => {
    const { storage } = adapter('signal-limits/');
    await load(storage, { clock: manualClock(Date.UTC(2026, 0, 1)) })({})('limits');
    const refused = await R.signal(storage)('limits')('big')('x'.repeat(2048));
    expect(refused.isErr() && refused.error.type).toBe('PayloadTooLarge');
    expect(await R.signal(storage)('limits')('fits')('x'.repeat(1900))).toMatchObject({
      value: { accepted: true },
    });
    expect((await storage.read('limits'))?.steps.map((s) => s.name)).toEqual(['fits']);
  });
});

describe('s3 adapter: 5 MB values', () => {
  it('stores, replays from a new client, rolls back and purges 5 MB outputs and params', async () => {
    const prefix = 'large/';
    const first = adapter(prefix);
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const runId = 'large/run';
    const undone: unknown[] = [];
    const registry = { undo: (p: Record<string, unknown>) => void undone.push((p.blob as string).length) };
    const out1 = bigText('0123456789');
    const out2 = bigText('é🚀');
    const cp = await load(first.storage, { clock, leaseMs: LEASE })(registry)(runId);
    await durable(first.storage)(cp)('kept')({})(() => out1);
    await beforeRisky(first.storage)(cp)('undo')({ blob: bigText('p') });
    await durable(first.storage)(cp)('rolled-back')({})(() => out2);
    const runKey = await runKeyOf(runId);
    expect((await b.keys(`${prefix}values/${runKey}/`)).length).toBe(3);

    clock.advance(LEASE * 2);
    const second = adapter(prefix);
    const resumed = await load(second.storage, { clock, leaseMs: LEASE })(registry)(runId);
    expect(resumed.cleanupsRun).toEqual(['undo']);
    expect(undone).toEqual([FIVE_MB]);
    let ran = false;
    const replayed = await durable(second.storage)(resumed)('kept')({})(() => {
      ran = true;
      return '';
    });
    expect(ran).toBe(false);
    expect(replayed === out1).toBe(true);
    // The rollback dropped the later step and the cleanup, and deleted their value objects.
    expect((await b.keys(`${prefix}values/${runKey}/`)).length).toBe(1);
    const again = await durable(second.storage)(resumed)('rolled-back')({})(() => out2);
    expect(again === out2).toBe(true);
    await complete(second.storage)(resumed);
    const raw = await rawReader(b, prefix).readRun(runId);
    expect(JSON.parse(raw?.outputs[Object.keys(raw.outputs)[1] as string] ?? 'null') === out2).toBe(true);

    expect(
      await second.storage.purge({ statuses: ['completed'], updatedBefore: clock.now() + 1, limit: 10 }),
    ).toBe(1);
    expect(await b.keys(prefix)).toEqual([]);
  }, 60_000);
});

describe('s3 adapter: document budget', () => {
  it('moves values out of line once the inline values of a run reach the budget', async () => {
    const prefix = 'budget/';
    const client = b.client();
    const storage = s3Storage({ client, bucket: b.bucket, prefix, documentBudget: 1_000 });
    const cp = await load(storage, { clock: manualClock(Date.UTC(2026, 0, 1)) })({})('budget');
    for (let i = 0; i < 4; i++) await durable(storage)(cp)(`s${i}`)({})(() => 'v'.repeat(400));
    const doc = JSON.parse((await b.getText(`${prefix}runs/${await runKeyOf('budget')}`)) ?? '{}');
    expect(doc.steps.map((s: { output: object }) => ('text' in s.output ? 'inline' : 'blob'))).toEqual([
      'inline',
      'inline',
      'blob',
      'blob',
    ]);
    const fresh = b.client();
    const stored = await s3Storage({ client: fresh, bucket: b.bucket, prefix }).read('budget');
    expect(stored?.steps.map((s) => s.output)).toEqual(Array(4).fill(JSON.stringify('v'.repeat(400))));
  });
  it('keeps signals inline whatever the budget (signalLimits bound them), and does not count them against it', async () => {
    const prefix = 'budget-signals/';
    const client = b.client();
    const storage = s3Storage({ client, bucket: b.bucket, prefix, documentBudget: 1_000 });
    const now = Date.UTC(2026, 0, 1);
    await storage.claim({ runId: 'r', owner: 'o', now, leaseMs: LEASE });
    const value = JSON.stringify('v'.repeat(400));
    for (let i = 0; i < 4; i++) {
      await storage.putSignal({
        runId: 'r',
        record: { key: `g${i}#signal`, name: `g${i}`, seq: 0, output: value, at: now },
        now,
      });
    }
    await storage.putStep({
      runId: 'r',
      owner: 'o',
      record: { key: 's#1', name: 's', seq: 1, output: value, at: now },
    });
    const doc = JSON.parse((await b.getText(`${prefix}runs/${await runKeyOf('r')}`)) ?? '{}');
    expect(doc.steps.map((s: { output: object }) => ('text' in s.output ? 'inline' : 'blob'))).toEqual(
      Array(5).fill('inline'),
    );
    expect(storage.signalLimits).toEqual({ bytes: 2048 });
    expect(S3_SIGNAL_LIMITS).toEqual({ bytes: 2048 });
  });
});

describe('s3 adapter: requests per operation', () => {
  it('a step is one PUT; a load from a new process is GET + PUT; a replay of a completed run is one GET', async () => {
    const prefix = 'cost/';
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const runId = 'cost/run';
    const a = adapter(prefix);
    const registry = { undo: () => undefined };
    let cp = await load(a.storage, { clock, leaseMs: LEASE })(registry)(runId);
    const step = durable(a.storage)(cp);
    const oneStep = await measure(a.requests, () => step('s0')({})(() => 0));
    expect(oneStep.by).toEqual({ PutObjectCommand: 1 });
    const concurrent = await measure(a.requests, () =>
      Promise.all(Array.from({ length: 20 }, (_, i) => step(`c${i}`)({ i })(async () => i))),
    );
    // Steps queued while a PUT is in flight share the next PUT.
    expect(concurrent.by).toEqual({ PutObjectCommand: concurrent.total });
    expect(concurrent.total).toBeLessThanOrEqual(3);
    const register = await measure(a.requests, () => beforeRisky(a.storage)(cp)('undo')({}));
    expect(register.by).toEqual({ PutObjectCommand: 1 });
    await step('after')({})(() => 1);

    // The next processes have their own clock, past the lease: advancing the first one's would
    // fire its lease keeper, whose renewal could land between their GET and PUT.
    const later = manualClock(Date.UTC(2026, 0, 1) + LEASE * 2);
    const b2 = adapter(prefix);
    const resume = await measure(b2.requests, async () => {
      cp = await load(b2.storage, { clock: later, leaseMs: LEASE })(registry)(runId);
    });
    // GET + claim PUT, then the cleanup's rollback: one PUT (no large values to delete).
    expect(resume.by).toEqual({ GetObjectCommand: 1, PutObjectCommand: 2 });
    expect(cp.cleanupsRun).toEqual(['undo']);
    const finish = await measure(b2.requests, () => complete(b2.storage)(cp));
    expect(finish.by).toEqual({ PutObjectCommand: 1 });

    const c = adapter(prefix);
    const replay = await measure(c.requests, () =>
      load(c.storage, { clock: later, leaseMs: LEASE })(registry)(runId),
    );
    expect(replay.by).toEqual({ GetObjectCommand: 1 });
    const busyRun = 'cost/busy';
    await load(a.storage, { clock: later, leaseMs: LEASE })({})(busyRun);
    const busy = await measure(c.requests, async () => {
      await R.load(c.storage, { clock: later, leaseMs: LEASE })({})(busyRun);
    });
    expect(busy.by).toEqual({ GetObjectCommand: 1 });
  });

  it('a step whose output goes out of line is two PUTs; loading it adds one GET per such value', async () => {
    const prefix = 'cost-large/';
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const a = adapter(prefix, { inlineValueBytes: 100 });
    const cp = await load(a.storage, { clock, leaseMs: LEASE })({})('r');
    const large = await measure(a.requests, () => durable(a.storage)(cp)('big')({})(() => 'x'.repeat(200)));
    expect(large.by).toEqual({ PutObjectCommand: 2 });
    // The next processes have their own clock, past the lease: advancing the first one's would
    // fire its lease keeper, whose renewal could land between their GET and PUT.
    const later = manualClock(Date.UTC(2026, 0, 1) + LEASE * 2);
    const b2 = adapter(prefix);
    const resume = await measure(b2.requests, () =>
      load(b2.storage, { clock: later, leaseMs: LEASE })({})('r'),
    );
    expect(resume.by).toEqual({ GetObjectCommand: 2, PutObjectCommand: 1 });
  });
});

describe('s3 adapter: fencing across processes', () => {
  it("a stale owner's writes fail on the document's ETag: lease-lost, nothing visible, no value left behind", async () => {
    const prefix = 'fence/';
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const runId = 'fence/run';
    const stale = adapter(prefix, { inlineValueBytes: 100 });
    await load(stale.storage, { clock, leaseMs: LEASE })({})(runId);
    const staleOwner = (await stale.storage.read(runId))?.run.owner as string;
    clock.advance(LEASE * 2);
    const fresh = adapter(prefix);
    const cp = await load(fresh.storage, { clock, leaseMs: LEASE })({})(runId);
    await durable(fresh.storage)(cp)('mine')({})(() => 1);
    const before = await fresh.storage.read(runId);

    // The stale instance still believes (from its cache) that it owns the run.
    const write = (storage: Storage, output: string) =>
      storage.putStep({
        runId,
        owner: staleOwner,
        record: { key: `k${output.length}`, name: 'late', seq: 9, output, at: 1 },
      });
    expect(await write(stale.storage, '"small"')).toEqual({ kind: 'lease-lost' });
    expect(await write(stale.storage, JSON.stringify('y'.repeat(500)))).toEqual({ kind: 'lease-lost' });
    expect(
      await stale.storage.finish({
        runId,
        owner: staleOwner,
        status: 'completed',
        at: 2,
        error: null,
        dropCleanups: true,
      }),
    ).toBe('lease-lost');
    expect(await fresh.storage.read(runId)).toEqual(before);
    expect(await b.keys(`${prefix}values/`)).toEqual([]);
  });
});

describe('s3 adapter: a PUT whose answer is lost', () => {
  it('recognises its own landed write when the SDK retry gets 412, instead of reporting a lost lease', async () => {
    const prefix = 'lost-answer/';
    const { storage, client, requests } = adapter(prefix);
    let loseNext = false;
    // Lets the PUT reach the server, then replaces its answer with a 503: the SDK retries it.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (loseNext && context.commandName === 'PutObjectCommand') {
          loseNext = false;
          throw Object.assign(new Error('answer lost'), {
            name: 'ServiceUnavailable',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseOneAnswer', priority: 'high' },
    );
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const cp = await load(storage, { clock })({})('lost/1');
    await durable(storage)(cp)('a')({})(() => 1);
    loseNext = true;
    const finishing = await measure(requests, () => complete(storage)(cp));
    expect(finishing.by).toEqual({ PutObjectCommand: 2, GetObjectCommand: 1 });
    expect((await storage.read('lost/1'))?.run).toMatchObject({
      status: 'completed',
      owner: null,
      attempt: 1,
    });
  });
});
