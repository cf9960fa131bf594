import { cancel, describeRun, fail, load } from '@td7x/durable-x';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableProcessor } from '../src/index.ts';
import { connections, namespace, storageOn } from './support/redis.ts';

/**
 * The wrapper on a real Redis, with real BullMQ queues and workers. Each test has its own queue.
 */
let conn: Awaited<ReturnType<typeof connections>>;
const ns = namespace('processor');
let storage: ReturnType<typeof storageOn>;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  conn = await connections();
  storage = storageOn(conn.storageRedis, ns.storagePrefix);
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await conn?.close();
});

let queues = 0;
interface Data {
  readonly order: string;
}

/** A queue, its events and a worker running `processor`; closed after the file. */
const setUp = async (processor: ConstructorParameters<typeof Worker<Data>>[1]) => {
  const name = `q${++queues}`;
  const opts = { connection: conn.queue, prefix: ns.bullPrefix };
  const queue = new Queue<Data>(name, opts);
  const events = new QueueEvents(name, { connection: conn.queue.duplicate(), prefix: ns.bullPrefix });
  await events.waitUntilReady();
  const worker = new Worker<Data>(name, processor, { ...opts, connection: conn.queue.duplicate() });
  closers.push(
    () => queue.obliterate({ force: true }).then(() => queue.close()),
    () => events.close(),
    () => worker.close(),
  );
  return { queue, events, worker };
};

const finished = (job: Job, events: QueueEvents) => job.waitUntilFinished(events, 20_000);

describe('durableProcessor', () => {
  it('completes the run with the workflow; a job for the same run replays it without running a step', async () => {
    const ran: string[] = [];
    const { queue, events } = await setUp(
      durableProcessor<Data>({ storage, runId: (job) => `order:${job.data.order}` })(
        async ({ step, checkpoint }) => {
          const charged = await step('charge')(checkpoint.runId)(() => {
            ran.push('charge');
            return { chargeId: 'ch_1' };
          });
          return { ...charged, replay: checkpoint.replay };
        },
      ),
    );
    const first = await queue.add('pay', { order: 'a1' }, { attempts: 1 });
    expect(await finished(first, events)).toEqual({ chargeId: 'ch_1', replay: false });
    const again = await queue.add('pay', { order: 'a1' }, { attempts: 1 });
    expect(await finished(again, events)).toEqual({ chargeId: 'ch_1', replay: true });
    expect(ran).toEqual(['charge']);
  });

  it('waits as a delayed job while another owner holds the run, and spends no attempt', async () => {
    const { queue, events } = await setUp(
      durableProcessor<Data>({ storage, runId: (job) => `order:${job.data.order}` })(async ({ step }) =>
        step('charge')()(() => 'charged'),
      ),
    );
    // A worker that died holding the run: its lease runs for 1.5 s more, and nobody renews it.
    await load(storage, { leaseMs: 1_500 })({})('order:b1');
    const delayed: string[] = [];
    events.on('delayed', ({ jobId }) => delayed.push(jobId));
    const job = await queue.add('pay', { order: 'b1' }, { attempts: 1 });
    expect(await finished(job, events)).toBe('charged');
    expect(delayed).toContain(job.id);
    const after = await queue.getJob(job.id as string);
    expect(after?.attemptsMade).toBe(1);
    expect((await describeRun(storage)('order:b1'))?.run.attempt).toBe(2);
  });

  it('turns a durable sleep into a delay: the steps before it run once', async () => {
    const ran: string[] = [];
    const { queue, events } = await setUp(
      durableProcessor<Data>({ storage, runId: (job) => `order:${job.data.order}` })(
        async ({ step, sleep }) => {
          await step('reserve')()(() => ran.push('reserve'));
          await sleep('cool-off')(300);
          await step('ship')()(() => ran.push('ship'));
          return 'shipped';
        },
      ),
    );
    const delayed: string[] = [];
    events.on('delayed', ({ jobId }) => delayed.push(jobId));
    const job = await queue.add('ship', { order: 'c1' }, { attempts: 1 });
    expect(await finished(job, events)).toBe('shipped');
    expect(ran).toEqual(['reserve', 'ship']);
    expect(delayed).toContain(job.id);
  });

  it('fails the run on an error (cleanups run), and the retry skips the finished steps', async () => {
    const ran: string[] = [];
    let shipFails = true;
    const { queue, events } = await setUp(
      durableProcessor<Data>({
        storage,
        runId: (job) => `order:${job.data.order}`,
        cleanups: { release_stock: async () => void ran.push('release_stock') },
      })(async ({ step, beforeRisky }) => {
        await step('reserve')()(() => ran.push('reserve'));
        await beforeRisky('release_stock')();
        await step('ship')()(() => {
          ran.push('ship');
          if (shipFails) {
            shipFails = false;
            throw new Error('carrier down');
          }
        });
        return 'shipped';
      }),
    );
    const job = await queue.add(
      'ship',
      { order: 'd1' },
      { attempts: 2, backoff: { type: 'fixed', delay: 50 } },
    );
    expect(await finished(job, events)).toBe('shipped');
    expect(ran).toEqual(['reserve', 'ship', 'release_stock', 'ship']);
  });

  it('fails the job for good on Cancelled, whatever attempts are left', async () => {
    const { queue, events } = await setUp(
      durableProcessor<Data>({ storage, runId: (job) => `order:${job.data.order}` })(async ({ step }) =>
        step('charge')()(() => 'charged'),
      ),
    );
    // A run that failed earlier (no owner now), then cancelled by an operator.
    await fail(storage)(await load(storage)({})('order:e1'))(new Error('first attempt failed'));
    expect((await cancel(storage)('order:e1')).status).toBe('cancelled');
    const job = await queue.add(
      'pay',
      { order: 'e1' },
      { attempts: 5, backoff: { type: 'fixed', delay: 10 } },
    );
    await expect(finished(job, events)).rejects.toThrow(/cancelled/);
    const after = await queue.getJob(job.id as string);
    expect(after?.attemptsMade).toBe(1);
    expect(await after?.getState()).toBe('failed');
  });

  it('fails the job for good on RunCompleted: a replay reached a step the completed run never had', async () => {
    let version = 1;
    const { queue, events } = await setUp(
      durableProcessor<Data>({ storage, runId: (job) => `order:${job.data.order}` })(async ({ step }) =>
        step(`charge:v${version}`)()(() => 'charged'),
      ),
    );
    expect(await finished(await queue.add('pay', { order: 'f1' }), events)).toBe('charged');
    version = 2;
    const job = await queue.add(
      'pay',
      { order: 'f1' },
      { attempts: 5, backoff: { type: 'fixed', delay: 10 } },
    );
    await expect(finished(job, events)).rejects.toThrow(/has no record of step "charge:v2"/);
    expect((await queue.getJob(job.id as string))?.attemptsMade).toBe(1);
  });

  it('fails the job for good on an invalid run id, before any I/O', async () => {
    const { queue, events } = await setUp(
      durableProcessor<Data>({ storage, runId: () => 'x'.repeat(300) })(async () => 'never'),
    );
    const job = await queue.add('pay', { order: 'g1' }, { attempts: 5 });
    await expect(finished(job, events)).rejects.toThrow(/invalid run id/);
    expect((await queue.getJob(job.id as string))?.attemptsMade).toBe(1);
  });
});
