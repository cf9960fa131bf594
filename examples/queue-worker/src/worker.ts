/**
 * A shipping worker: `npm start [orders…]` (REDIS_URL: a Redis; default orders 1 2 3).
 *
 * It enqueues one job per order (job id `ship-<order>`: enqueuing again is a no-op) and works
 * until every one is shipped. Each job reserves stock (a step), registers a cleanup that cancels
 * a half-made shipping label, and ships (slowly: SHIP_MS). Kill it with `kill -9` while it ships
 * and start it again: BullMQ redelivers the job, which waits as a delayed job for the dead
 * worker's lease, then cancels the half-made label (the pending cleanup), skips the reservation
 * (a finished step) and ships again.
 */
import type { DurableEvent } from '@td7x/durable-x';
import { durableProcessor } from '@td7x/durable-x-bullmq';
import { ioredisClient, redisStorage } from '@td7x/durable-x-redis';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const leaseMs = Number(process.env.LEASE_MS ?? 10_000);
const lockMs = Number(process.env.LOCK_MS ?? 10_000);
const shipMs = Number(process.env.SHIP_MS ?? 1_500);
const orders = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['1', '2', '3'];
const say = (text: string) => console.log(`[${process.pid}] ${text}`);

// BullMQ's connection retries forever; the storage's fails fast (see the package README).
const bullmq = new Redis(url, { maxRetriesPerRequest: null });
const redis = new Redis(url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
redis.on('error', (e) => say(`redis: ${e.message}`));
await redis.connect();
const storage = redisStorage({ client: ioredisClient(redis), prefix: 'runs:', completedTtlSeconds: 86_400 });

interface Shipment {
  readonly order: string;
}

const report = (event: DurableEvent) => {
  if (event.type === 'step.skipped') say(`  ${event.runId}: ${event.name} was done before, skipped`);
};

const processor = durableProcessor<Shipment>({
  storage,
  runId: (job) => `ship:${job.data.order}`,
  cleanups: {
    cancel_label: async (p) =>
      say(`  order ${p.order as string}: cancel the label the dead attempt may have made`),
  },
  load: { leaseMs, onEvent: report },
})(async ({ job, step, beforeRisky, afterSafe, checkpoint }) => {
  const { order } = job.data;
  if (checkpoint.attempt > 1) say(`order ${order}: attempt ${checkpoint.attempt} of its run`);
  const shelf = await step('reserve')({ order })(() => {
    say(`order ${order}: reserve stock`);
    return `shelf-${order}`;
  });
  await beforeRisky('cancel_label')({ order });
  const tracking = await step('ship')({ order, shelf })(async () => {
    say(`order ${order}: shipping…`);
    await new Promise((resolve) => setTimeout(resolve, shipMs)); // the carrier's slow API
    return `TRK-${order}`;
  });
  await afterSafe('cancel_label');
  say(`order ${order}: shipped, tracking ${tracking}`);
  return tracking;
});

const queue = new Queue<Shipment>('shipping', { connection: bullmq });
const eventsConnection = bullmq.duplicate(); // QueueEvents blocks on its own connection
const events = new QueueEvents('shipping', { connection: eventsConnection });
await events.waitUntilReady();
// Every worker of a queue must use the same stalledInterval: the first check holds others off.
const worker = new Worker<Shipment>('shipping', processor, {
  connection: bullmq,
  lockDuration: lockMs,
  stalledInterval: lockMs,
});

const jobs = await Promise.all(
  orders.map((order) =>
    queue.add(
      'ship',
      { order },
      { jobId: `ship-${order}`, attempts: 3, backoff: { type: 'fixed', delay: 1_000 } },
    ),
  ),
);
say(`working on orders ${orders.join(', ')}`);
const results = await Promise.all(jobs.map((job) => job.waitUntilFinished(events)));
say(`all shipped: ${results.join(', ')}`);
await worker.close();
await events.close();
await queue.close();
eventsConnection.disconnect();
bullmq.disconnect();
redis.disconnect();
