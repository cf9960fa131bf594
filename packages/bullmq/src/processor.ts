import {
  afterSafe,
  beforeRisky,
  type Checkpoint,
  type CleanupRegistry,
  complete,
  type DurableError,
  durable,
  fail,
  isDurableXError,
  type LoadOptions,
  load,
  type Storage,
  sleep,
  waitFor,
} from '@td7x/durable-x';
import { DelayedError, type Job, type Processor, UnrecoverableError } from 'bullmq';

/** What a job's workflow gets: its job, and its run with the storage already applied. */
export interface DurableJob<Data> {
  readonly job: Job<Data>;
  readonly runId: string;
  /** `checkpoint.replay` is true when the run had completed: every step answers from storage. */
  readonly checkpoint: Checkpoint;
  /** `durable(storage)(checkpoint)`: `await step('charge')(input)(fn)`. */
  readonly step: ReturnType<ReturnType<typeof durable>>;
  readonly beforeRisky: ReturnType<ReturnType<typeof beforeRisky>>;
  readonly afterSafe: ReturnType<ReturnType<typeof afterSafe>>;
  /** A durable sleep: the job is delayed until it ends, holding no worker. */
  readonly sleep: ReturnType<ReturnType<typeof sleep>>;
  /** Waits for a signal: the job is delayed until its timeout, or `signalPollMs` without one. */
  readonly waitFor: ReturnType<ReturnType<typeof waitFor>>;
}

export interface DurableProcessorOptions<Data> {
  readonly storage: Storage;
  /**
   * The run id of a job. Choose one that survives queue resets: a business key (`order:42`), or
   * the custom `jobId` you add the job with. Not the bare `job.id` BullMQ numbers: after an
   * `obliterate` it starts again from 1, and the new job 1 would replay (or be refused by) the old
   * run 1. See the README.
   */
  readonly runId: (job: Job<Data>) => string;
  readonly cleanups?: CleanupRegistry;
  /** Passed to `load` (`leaseMs`, `version`, `codec`, `onEvent`, `clock`). */
  readonly load?: LoadOptions;
  /** A run waiting for a signal with no timeout is checked again after this long (ms; default 60 000). */
  readonly signalPollMs?: number;
}

/**
 * Errors that no retry of the job can get past: the run is finished another way, or the job
 * cannot name a run. They fail the job for good (BullMQ's `UnrecoverableError`) instead of
 * spending its attempts.
 */
const FINAL: ReadonlySet<DurableError['type']> = new Set([
  'RunCompleted', // a replay reached a step the completed run never recorded (the code or input changed)
  'Cancelled',
  'InvalidRunId',
  'InvalidName',
  'InvalidArgument',
  'NotEncodable',
  'PayloadTooLarge',
]);

/**
 * A BullMQ processor that runs `workflow` as a durable-x run: `new Worker(queue,
 * durableProcessor({ storage, runId })(workflow), { connection })`.
 *
 * - The run is completed when the workflow returns (its value is the job's result); a replay of a
 *   completed run returns it again from the stored steps.
 * - A run held by another worker (`RunBusy`: a job redelivered while its dead worker's lease
 *   runs) moves the job to delayed until that lease ends: no attempt is spent.
 * - A durable sleep or wait (`Suspended`) moves the job to delayed until `resumeAt`.
 * - `RunCompleted`, `Cancelled`, `InvalidRunId` (and bad arguments) fail the job for good.
 * - Any other error fails the run (its pending cleanups run, its finished steps stay) and is
 *   thrown to BullMQ, whose `attempts` and `backoff` decide the retry.
 */
export const durableProcessor =
  <Data = unknown>(options: DurableProcessorOptions<Data>) =>
  <Result>(workflow: (run: DurableJob<Data>) => Promise<Result>): Processor<Data, Result> => {
    const { storage } = options;
    const signalPollMs = options.signalPollMs ?? 60_000;
    const now = () => options.load?.clock?.now() ?? Date.now();

    /** Moves the job to delayed and tells BullMQ so (no attempt spent). */
    const delay = async (job: Job<Data>, token: string | undefined, until: number): Promise<never> => {
      await job.moveToDelayed(Math.max(until, now() + 1), token);
      throw new DelayedError();
    };

    return async (job, token) => {
      const runId = options.runId(job);
      let cp: Checkpoint;
      try {
        cp = await load(storage, { ownerPrefix: ownerPrefixOf(job), ...options.load })(
          options.cleanups ?? {},
        )(runId);
      } catch (e) {
        if (isDurableXError(e, 'RunBusy')) return delay(job, token, e.error.leaseExpiresAt);
        throw final(e);
      }
      try {
        const result = await workflow({
          job,
          runId,
          checkpoint: cp,
          step: durable(storage)(cp),
          beforeRisky: beforeRisky(storage)(cp),
          afterSafe: afterSafe(storage)(cp),
          sleep: sleep(storage)(cp),
          waitFor: waitFor(storage)(cp),
        });
        await complete(storage)(cp);
        return result;
      } catch (e) {
        if (isDurableXError(e, 'Suspended'))
          return delay(job, token, e.error.resumeAt ?? now() + signalPollMs);
        // Another worker took the run over: this attempt stops; the next one waits for it.
        if (isDurableXError(e, 'LeaseLost')) throw e;
        // Runs the pending cleanups and releases the run at once for the retry; a no-op on a
        // run that is already failed, cancelled or replayed.
        await fail(storage)(cp)(e).catch(() => {});
        throw final(e);
      }
    };
  };

/** The error as BullMQ should see it: unrecoverable when no retry can help. */
const final = (e: unknown): unknown => (isDurableXError(e) && FINAL.has(e.error.type) ? unrecoverable(e) : e);

const unrecoverable = (e: Error): UnrecoverableError => {
  const error = new UnrecoverableError(e.message);
  error.cause = e;
  return error;
};

/** `job:<queue>/<id>` in the owner token, so `describeRun` shows which job holds a run. */
const ownerPrefixOf = (job: Job<unknown>): string => `job:${job.queueName}/${job.id ?? '?'}`.slice(0, 200);
