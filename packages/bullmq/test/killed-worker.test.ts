import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeRun } from '@td7x/durable-x';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { durableProcessor } from '../src/index.ts';
import { LEASE_MS, type ShippingData, shipping, shippingCleanups } from './processes/shipping.ts';
import { connections, namespace, redisUrl, storageOn } from './support/redis.ts';

/**
 * A worker process is SIGKILLed inside a step. BullMQ redelivers the stalled job to another
 * worker, which finds the run still held by the dead worker's lease (RunBusy), waits as a delayed
 * job without spending the job's only attempt, then takes the run over: the pending cleanup runs,
 * the finished step is skipped, the killed one runs again.
 */
let conn: Awaited<ReturnType<typeof connections>>;
const ns = namespace('killed');
const queueName = 'shipping';
const logKey = `${ns.storagePrefix}log`;
let child: ChildProcess | undefined;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  conn = await connections();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  for (const close of closers.reverse()) await close();
  await conn.storageRedis.del(logKey);
  await conn?.close();
});

/** Resolves when the child prints `line`; rejects if it exits first. */
const printed = (proc: ChildProcess, line: string) =>
  new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(`${line}\n`)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`worker exited (${code}) before printing ${line}: ${out}`)));
  });

it('a job whose worker is killed mid-step is redelivered, waits for the lease, and resumes', async () => {
  const opts = { connection: conn.queue, prefix: ns.bullPrefix };
  const queue = new Queue<ShippingData>(queueName, opts);
  const events = new QueueEvents(queueName, { connection: conn.queue.duplicate(), prefix: ns.bullPrefix });
  await events.waitUntilReady();
  closers.push(
    () => queue.obliterate({ force: true }).then(() => queue.close()),
    () => events.close(),
  );

  child = spawn(
    process.execPath,
    [
      '--conditions=@td7x/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('processes/dying-worker.ts', import.meta.url)),
    ],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        ...process.env,
        TEST_REDIS_URL: redisUrl(),
        DX_QUEUE: queueName,
        DX_BULL_PREFIX: ns.bullPrefix,
        DX_STORAGE_PREFIX: ns.storagePrefix,
        DX_LOG_KEY: logKey,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ready = printed(child, 'worker ready');
  const inside = printed(child, 'inside ship');
  await ready;
  const job = await queue.add('ship', { order: 'k1' }, { attempts: 1 });
  await inside;
  const exited = new Promise((resolve) => child?.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();

  const delayed: string[] = [];
  events.on('delayed', ({ jobId }) => delayed.push(jobId));
  const storage = storageOn(conn.storageRedis, ns.storagePrefix);
  const worker = new Worker<ShippingData>(
    queueName,
    durableProcessor<ShippingData>({
      storage,
      runId: (j) => `order:${j.data.order}`,
      cleanups: shippingCleanups(conn.storageRedis, logKey),
      load: { leaseMs: LEASE_MS },
    })(shipping(conn.storageRedis, logKey, async () => {})),
    { ...opts, connection: conn.queue.duplicate(), stalledInterval: 500, lockDuration: 1_000 },
  );
  closers.push(() => worker.close());

  expect(await job.waitUntilFinished(events, 30_000)).toEqual({ reserved: 'r1', shipped: 's1' });
  // Redelivered before the dead worker's lease ended: it waited as a delayed job.
  expect(delayed).toContain(job.id);
  // Resumed soon after the lease (4 s), not after BullMQ's default 30 s lock or a retry backoff.
  expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 10_000);
  expect(await conn.storageRedis.lrange(logKey, 0, -1)).toEqual([
    'reserve',
    'ship',
    'cancel_shipment',
    'ship',
  ]);
  const run = await describeRun(storage)('order:k1');
  expect(run?.run.status).toBe('completed');
  expect(run?.run.attempt).toBe(2);
  expect((await queue.getJob(job.id as string))?.attemptsMade).toBe(1);
});
