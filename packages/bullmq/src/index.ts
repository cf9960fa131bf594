/**
 * `@td7x/durable-x-bullmq`: BullMQ jobs as durable-x runs. A redelivered job resumes its run, a
 * run held by a dead worker waits as a delayed job, a durable sleep becomes a delay.
 */
export { type DurableJob, type DurableProcessorOptions, durableProcessor } from './processor.ts';
