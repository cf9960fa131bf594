import type { ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { freePort, uniqueBucketName } from '@td7x/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickStarts } from './extract.ts';
import { generate, lines, REPO, run, runToEnd, typecheck, workdir } from './support.ts';

/**
 * Every README quick start, extracted from the README (the block after `<!-- quick-start: name
 * -->`), typechecked with the repository's strict settings, and run in a process of its own the
 * way its reader would run it, against the real servers.
 */
/** The redis, S3 and SQLite READMEs: the same background job, `handle` (or `main`) of a file id. */
function jobQuickStarts() {
  const epilogue = (
    call: string,
    close: string,
  ) => `const first = await ${call}('file-1').catch((e: unknown) => (e as Error).message);
await ${call}('file-1');
await ${call}('file-1');
console.log(\`first \${JSON.stringify(first)}\`);
${close}`;
  const prelude = "import { deleteFromCdn, download, uploadToCdn } from '../stand-ins/files.ts';";
  return {
    redis: generate(
      'packages/storage-redis/README.md',
      'job',
      prelude,
      epilogue('handle', 'redis.disconnect();'),
    ),
    s3: generate('packages/storage-s3/README.md', 'job', prelude, epilogue('handle', 'client.destroy();')),
    sqlite: generate('packages/storage-sqlite/README.md', 'job', prelude, epilogue('main', '')),
  };
}

const files = {
  root: generate(
    'README.md',
    'sqlite',
    "import { deleteFromCdn, fetchFile, processFile, uploadToCdn } from '../stand-ins/files.ts';",
    `const first = await main('file-1').catch((e: unknown) => (e as Error).message);
const second = await main('file-1');
const third = await main('file-1');
console.log(\`results \${JSON.stringify({ first, second, third })}\`);`,
  ),
  core: generate(
    'packages/core/README.md',
    'sqlite',
    "import { deleteFromCdn, download, upload } from '../stand-ins/files.ts';",
  ),
  http: generate('packages/http/README.md', 'hono', "import { psp } from '../stand-ins/psp.ts';"),
  bullmq: generate(
    'packages/bullmq/README.md',
    'worker',
    "import { carrier, warehouse } from '../stand-ins/shipping.ts';",
    `import { QueueEvents } from 'bullmq';
const eventsConnection = bullmq.duplicate();
const events = new QueueEvents('shipping', { connection: eventsConnection });
await events.waitUntilReady();
const job = await queue.getJob('ship-42');
console.log(\`result \${JSON.stringify(await job?.waitUntilFinished(events, 20_000))}\`);
await worker.close();
await events.close();
await queue.close();
eventsConnection.disconnect();
bullmq.disconnect();
redis.disconnect();`,
  ),
  postgres: generate(
    'packages/storage-postgres/README.md',
    'payments',
    "import { charges, mailer, type Order, payments, psp } from '../stand-ins/payments.ts';",
    `const order = { amount: 4200, card: 'tok_visa', email: 'a@example.com' };
const started = payments.holdNextCharge();
const first = handlePayment('key-1', order);
await started; // the first request holds the run and is inside the charge
const concurrent = await handlePayment('key-1', order);
payments.release();
const done = await first;
const later = await handlePayment('key-1', order);
payments.failNextReceipt();
const failed = await handlePayment('key-2', order).catch((e: unknown) => (e as Error).message);
const retried = await handlePayment('key-2', order);
console.log(\`results \${JSON.stringify({ concurrent, done, later, failed, retried, charges })}\`);
await pool.end();`,
  ),
  ...jobQuickStarts(),
  windmill: generate(
    'packages/storage-windmill/README.md',
    'windmill',
    `import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteFromCdn, processFile, uploadToCdn } from '../../stand-ins/windmill-world.ts';`,
    // The delete_temp cleanup, on the job's runtime: it removes a file, and a file already gone is no error.
    `const temp = join(mkdtempSync(join(tmpdir(), 'dx-delete-temp-')), 'part.tmp');
writeFileSync(temp, 'partial');
await cleanupRunners.delete_temp?.({ path: temp });
await cleanupRunners.delete_temp?.({ path: temp });
console.log(\`delete_temp \${JSON.stringify({ exists: existsSync(temp) })}\`);`,
    'windmill/script.ts',
  ),
  windmillLocal: generate(
    'packages/storage-windmill/README.md',
    'windmill-local',
    '',
    `console.log(\`job \${JSON.stringify(await job.result)}\`);`,
    'windmill/run.ts',
  ),
};

let typeErrors: string;
beforeAll(async () => {
  typeErrors = await typecheck(Object.values(files));
}, 120_000);

it('every marked block typechecks under the repository’s strict settings', () => {
  expect(typeErrors).toBe('');
});

it('the READMEs mark the blocks this file runs, and no other', () => {
  const marked = (readme: string) => quickStarts(`${REPO}${readme}`).map((q) => q.name);
  expect(marked('README.md')).toEqual(['sqlite']);
  expect(marked('packages/core/README.md')).toEqual(['sqlite']);
  expect(marked('packages/http/README.md')).toEqual(['hono']);
  expect(marked('packages/bullmq/README.md')).toEqual(['worker']);
  expect(marked('packages/storage-postgres/README.md')).toEqual(['payments']);
  expect(marked('packages/storage-redis/README.md')).toEqual(['job']);
  expect(marked('packages/storage-s3/README.md')).toEqual(['job']);
  expect(marked('packages/storage-sqlite/README.md')).toEqual(['job']);
  expect(marked('packages/storage-windmill/README.md')).toEqual(['windmill', 'windmill-local']);
});

const jsonAfter = (out: string, label: string): unknown => {
  const line = out.split('\n').find((l) => l.startsWith(`${label} `));
  if (line === undefined) throw new Error(`no "${label}" line in:\n${out}`);
  return JSON.parse(line.slice(label.length + 1));
};

describe('README.md', () => {
  it('the quick start: a failed upload is retried with its cleanup first, finished steps skipped; then replayed', async () => {
    const out = await runToEnd(files.root, { cwd: workdir(), env: { FAIL_UPLOADS: '1' } });
    const results = jsonAfter(out, 'results') as Record<string, unknown>;
    expect(results.first).toMatch(/step "upload" of run "file-1" failed: connection reset/);
    expect(results.second).toEqual({ fileId: 'file-1', url: 's3://bucket/file-1.json' });
    expect(results.third).toEqual(results.second);
    expect(jsonAfter(out, 'calls')).toEqual([
      'download file-1',
      'process /tmp/file-1',
      'upload s3://bucket/file-1.json',
      'delete s3://bucket/file-1.json',
      'upload s3://bucket/file-1.json',
    ]);
  });
});

describe('packages/core/README.md', () => {
  it('the quick start runs, and run again in a new process it is a replay (cp.replay)', async () => {
    const cwd = workdir();
    const first = await runToEnd(files.core, { cwd });
    expect(first).toContain("{ url: 's3://bucket/file-42.json', replay: false }");
    expect(jsonAfter(first, 'calls')).toEqual(['download file-42', 'upload s3://bucket/file-42.json']);
    const again = await runToEnd(files.core, { cwd });
    expect(again).toContain("{ url: 's3://bucket/file-42.json', replay: true }");
    expect(jsonAfter(again, 'calls')).toEqual([]);
  });
});

describe('packages/http/README.md', () => {
  const database = `dx_quick_start_${process.pid}`;
  let admin: pg.Client;
  let server: ChildProcess | undefined;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('the quick start serves idempotent payments: replay, 422, 409 while in flight, a stored 402', async () => {
    const url = new URL(process.env.TEST_POSTGRES_URL as string);
    url.pathname = `/${database}`;
    const port = await freePort();
    server = run(files.http, { cwd: workdir(), env: { DATABASE_URL: url.href, PORT: String(port) } });
    const out = lines(server);
    const base = `http://127.0.0.1:${port}`;
    const pay = (key: string, body: unknown) =>
      fetch(`${base}/payments`, {
        method: 'POST',
        headers: { 'idempotency-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // The server is up once it answers (a refused connection until then).
    for (let i = 0; ; i++) {
      const up = await fetch(`${base}/`).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (i > 300) throw new Error(`the server never answered:\n${out.seen.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const first = await pay('k-1', { amount: 10, card: '4242' });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ chargeId: 'ch_1' });
    const again = await pay('k-1', { amount: 10, card: '4242' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ chargeId: 'ch_1' });
    expect((await pay('k-1', { amount: 11, card: '4242' })).status).toBe(422);

    const slow = pay('k-2', { amount: 20, card: 'slow' });
    await out.next((l) => l.startsWith('charging slow'));
    const duplicate = await pay('k-2', { amount: 20, card: 'slow' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get('retry-after')).toBe('1');
    server.stdin?.write('release\n');
    expect((await slow).status).toBe(201);

    expect((await pay('k-3', { amount: 30, card: 'declined' })).status).toBe(402);
    const declinedAgain = await pay('k-3', { amount: 30, card: 'declined' });
    expect(declinedAgain.status).toBe(402);
    expect(declinedAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(out.seen.filter((l) => l.startsWith('charging')).map((l) => l.split(' ')[1])).toEqual([
      '4242',
      'slow',
      'declined',
    ]);
  });
});

describe('packages/bullmq/README.md', () => {
  // A database of the shared server for this test alone: the quick start's queue and prefix are
  // fixed names.
  const url = new URL(process.env.TEST_REDIS_URL as string);
  url.pathname = '/14';
  const flush = async () => {
    const redis = new Redis(url.href);
    await redis.flushdb();
    redis.disconnect();
  };
  beforeAll(flush);
  afterAll(flush);

  it("the quick start ships: the failed shipment's label is cancelled, the retry skips the reservation", async () => {
    const out = await runToEnd(files.bullmq, { cwd: workdir(), env: { REDIS_URL: url.href } });
    expect(jsonAfter(out, 'result')).toEqual({ tracking: 'TRK-42', key: 64 });
    expect(out.split('\n').filter((l) => /^(reserve|cancel|ship) /.test(l))).toEqual([
      'reserve 42',
      'ship 42',
      'cancel 42',
      'ship 42',
    ]);
  });
});

/** A database of the shared server for one quick start, dropped afterwards. */
const freshDatabase = (label: string) => {
  const database = `dx_quick_start_${label}_${process.pid}`;
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });
  const url = new URL(process.env.TEST_POSTGRES_URL as string);
  url.pathname = `/${database}`;
  return url.href;
};

/** What the file quick starts' stand-ins saw: a failed upload, its cleanup, the retry; then a replay. */
const retriedUpload = (out: string, url: string) => {
  expect(jsonAfter(out, 'first')).toMatch(/step "upload" of run "file-1" failed: connection reset/);
  expect(jsonAfter(out, 'calls')).toEqual([
    'download file-1',
    `upload ${url}`,
    `delete ${url}`,
    `upload ${url}`,
  ]);
};

describe('packages/storage-postgres/README.md', () => {
  const url = freshDatabase('postgres');
  it('the quick start: 409 while a duplicate is in flight, a replay without charging, a failed receipt retried without charging again', async () => {
    const out = await runToEnd(files.postgres, { cwd: workdir(), env: { DATABASE_URL: url } });
    const results = jsonAfter(out, 'results') as Record<string, unknown>;
    expect(results.concurrent).toMatchObject({ status: 409, body: { retryAfterMs: expect.any(Number) } });
    expect(results.done).toEqual({ status: 201, body: { chargeId: 'ch_1', receiptId: 'rc_ch_1' } });
    expect(results.later).toEqual(results.done);
    expect(results.failed).toMatch(/smtp server unavailable/);
    expect(results.retried).toEqual({ status: 201, body: { chargeId: 'ch_2', receiptId: 'rc_ch_2' } });
    // One charge per key, each with its step's idempotency key.
    expect(results.charges).toEqual([expect.stringMatching(/^4200 tok_visa \w{8}$/), expect.any(String)]);
  });
});

describe('packages/storage-redis/README.md', () => {
  // A database of the shared server for this test alone: the quick start's prefix is a fixed name.
  const url = new URL(process.env.TEST_REDIS_URL as string);
  url.pathname = '/12';
  const flush = async () => {
    const redis = new Redis(url.href);
    await redis.flushdb();
    redis.disconnect();
  };
  beforeAll(flush);
  afterAll(flush);
  it('the quick start: connects before its first call; a failed upload is retried with its cleanup first, then replayed', async () => {
    const out = await runToEnd(files.redis, {
      cwd: workdir(),
      env: { REDIS_URL: url.href, FAIL_UPLOADS: '1' },
    });
    retriedUpload(out, 's3://bucket/file-1.json');
  });
});

describe('packages/storage-s3/README.md', () => {
  const bucket = uniqueBucketName('quick-start');
  const admin = () =>
    new S3Client({
      endpoint: process.env.TEST_S3_ENDPOINT as string,
      region: process.env.TEST_S3_REGION ?? 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: process.env.TEST_S3_ACCESS_KEY ?? 'testkey',
        secretAccessKey: process.env.TEST_S3_SECRET_KEY ?? 'testsecret',
      },
    });
  beforeAll(async () => {
    const client = admin();
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
  });
  afterAll(async () => {
    const client = admin();
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });
  it('the quick start: checks conditional writes; a failed upload is retried with its cleanup first, then replayed', async () => {
    const out = await runToEnd(files.s3, {
      cwd: workdir(),
      env: {
        S3_ENDPOINT: process.env.TEST_S3_ENDPOINT as string,
        S3_BUCKET: bucket,
        AWS_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
        AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY ?? 'testkey',
        AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_KEY ?? 'testsecret',
        FAIL_UPLOADS: '1',
      },
    });
    retriedUpload(out, 'https://cdn.example.com/file-1.json');
  });
});

describe('packages/storage-sqlite/README.md', () => {
  it('the quick start: a failed upload is retried with its cleanup first, then replayed', async () => {
    const out = await runToEnd(files.sqlite, { cwd: workdir(), env: { FAIL_UPLOADS: '1' } });
    retriedUpload(out, 's3://bucket/file-1.json');
  });
});

describe('packages/storage-windmill/README.md', () => {
  const url = freshDatabase('windmill');
  it('on Bun, against the local stand-in: the quick start runs as a job, its delete_temp cleanup included', async () => {
    const out = await runToEnd(files.windmillLocal, {
      cwd: dirname(files.windmillLocal), // where the block's './script.ts' is
      env: { DATABASE_URL: url },
      runtime: 'bun',
      timeoutMs: 60_000,
    });
    expect(jsonAfter(out, 'job')).toEqual({
      status: 'completed',
      result: { fileId: 'file-42', uploadedUrl: 's3://bucket/file-42.json' },
    });
    expect(jsonAfter(out, 'delete_temp')).toEqual({ exists: false });
    expect(jsonAfter(out, 'calls')).toEqual([
      'download file-42',
      'process /tmp/file-42',
      'upload s3://bucket/file-42.json',
    ]);
  });
});
