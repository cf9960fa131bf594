import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { invalid } from '../arguments.ts';
import { waitOn } from '../clock.ts';
import { sha256HexSync } from '../codec/sha256.ts';
import {
  DurableXError,
  type InvalidArgument,
  type InvalidName,
  type NotDecodable,
  type NotEncodable,
  type PayloadTooLarge,
  type RunCompleted,
  type StepFailed,
  type StorageUnavailable,
} from '../errors.ts';
import type { PutStepOutcome, StepRecord, Storage } from '../storage/contract.ts';
import { type Body, blockedWhile, currentBody, isWithin, runBody } from './activity.ts';
import { utf8Length } from './events.ts';
import { failRun } from './finish.ts';
import { fencedPutStep, type Refusal, refusal } from './gateway.ts';
import { type Checkpoint, type Execution, type RunHandle, runOf } from './handle.ts';
import { attemptKey, failedAttempts } from './keys.ts';
import { freshLease } from './lease.ts';
import { nameProblem } from './names.ts';
import { backoffMs, checkRetryPolicy, type RetryPolicy, retryable } from './retry.ts';
import { runUserCode } from './user-code.ts';
import { decodeValue, encodeValue, errorAsValue, stepKey } from './values.ts';

export type StepError =
  | InvalidArgument
  | InvalidName
  | NotEncodable
  | NotDecodable
  | PayloadTooLarge
  | RunCompleted
  | StepFailed
  | StorageUnavailable
  | Refusal;

export interface StepOptions {
  /** Retry the step in process before giving up; exhausting it fails the run. Default: no retry. */
  readonly retry?: RetryPolicy;
}

/** What a step's function is given. */
export interface StepContext {
  readonly runId: string;
  readonly step: string;
  /** The attempt of this step, from 1 (failed attempts recorded under a retry policy count). */
  readonly attempt: number;
  /**
   * The same for every attempt of this step, in every process, until a cleanup undoes it (then
   * the step runs again under a new key): pass it to APIs that deduplicate by key (Stripe's
   * `Idempotency-Key`, an SQS deduplication id, a conditional PUT), so that a step whose process
   * died after the effect and before its record does not act twice. 64 hex digits.
   */
  readonly idempotencyKey: string;
  /** Aborted when the run is cancelled or taken over under this process: stop early. */
  readonly signal: AbortSignal;
}

/** What a step yields: the awaited value, or the `Ok` value when the function returns a Result. */
export type StepValue<R> = Awaited<R> extends Result<infer T, unknown> ? T : Awaited<R>;

/**
 * A memoized step: `durable(storage)(cp)(name, options?)(input)(fn)`.
 * The memo key is `name` plus a hash of the canonical `input`. A recorded key returns its stored
 * output without running `fn`; otherwise `fn` runs, and its output is recorded with one fenced
 * storage write. The first record stored for a key wins, and every writer returns that one.
 * A failing `fn` (throw or `Err`) records nothing; once nothing else of the run is running, the
 * lease is released so that a retry may start at once.
 */
export const durable =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string, options: StepOptions = {}) =>
  (input?: unknown) =>
  <R>(fn: (step: StepContext) => R): ResultAsync<StepValue<R>, StepError> => {
    const outcome = startStep(storage, cp, name, options, input, fn);
    return new ResultAsync(outcome instanceof Promise ? outcome : Promise.resolve(outcome)) as ResultAsync<
      StepValue<R>,
      StepError
    >;
  };

/*
 * The step path is plain code around Results, wrapped in ONE ResultAsync at the API boundary:
 * every extra ResultAsync hop costs promises on every step. A step answered from memory (a memo
 * hit, a bad argument) is answered without waiting at all; only a step that runs awaits.
 */

type Outcome = Result<unknown, StepError>;

interface Step {
  readonly name: string;
  readonly key: string;
  readonly fn: (step: StepContext) => unknown;
  readonly retry: RetryPolicy | undefined;
  readonly caller: Body | undefined;
}

/**
 * A step call as far as it goes without waiting: an `Outcome` when it is answered at once (a
 * memoized step, a refused argument), else the promise of one. Both APIs start here.
 */
export const startStep = (
  storage: Storage,
  cp: Checkpoint,
  name: string,
  options: StepOptions | undefined,
  input: unknown,
  fn: (step: StepContext) => unknown,
): Outcome | Promise<Outcome> => {
  const run = runOf(storage, cp);
  if ('isErr' in run) return run;
  return stepOf(run, name, input, fn, options?.retry);
};

const stepOf = (
  run: RunHandle,
  name: string,
  input: unknown,
  fn: (step: StepContext) => unknown,
  retry: RetryPolicy | undefined,
): Outcome | Promise<Outcome> => {
  const badName = nameProblem('step', name);
  if (badName !== undefined) return err(badName);
  if (typeof fn !== 'function') return invalid('fn', `expected a function, got ${typeof fn}`);
  if (retry !== undefined) {
    const policy = checkRetryPolicy(retry);
    if (policy.isErr()) return err(policy.error);
  }
  const key = stepKey(name, input);
  if (typeof key !== 'string') return err(key);
  const stored = run.records.get(key);
  if (stored) {
    if (run.observed) {
      run.emit({ type: 'step.skipped', runId: run.runId, name, key, bytes: utf8Length(stored.output) });
    }
    return decodeOutput(run, stored);
  }
  if (run.state.kind === 'replaying') return err({ type: 'RunCompleted', runId: run.runId, step: name });
  if (run.state.kind !== 'running') return refusal(run, 'step');
  return shared(run, { name, key, fn, retry, caller: currentBody() });
};

/** Calls of one key in this process share one execution; a step that calls itself is refused. */
const shared = (run: RunHandle, step: Step): Promise<Outcome> => {
  const running = run.executions.get(step.key);
  if (running) {
    if (isWithin(step.caller, running.body)) {
      return Promise.resolve(
        invalid(
          'fn',
          `step ${JSON.stringify(step.name)} waits for itself: its function called it again with the same input`,
        ),
      );
    }
    // Blocked on the sibling's execution: a fail() or an undo waiting for the run's bodies must
    // not wait for this caller, which waits for them (through that execution).
    return blockedWhile(run.activity, step.caller, running.outcome as Promise<Outcome>);
  }
  const execution: Execution = { body: { key: step.key, parent: step.caller }, outcome: undefined };
  run.executions.set(step.key, execution);
  const outcome = execute(run, step, execution);
  execution.outcome = outcome;
  return outcome;
};

const execute = async (run: RunHandle, step: Step, execution: Execution): Promise<Outcome> => {
  const { body } = execution;
  const end = run.keeper.begin();
  let started = 0;
  let failed = false;
  try {
    let attempt = run.attemptsRecorded ? failedAttempts(run.records, step.key) : 0;
    // Spent before this load (a run failed by this step, loaded again): no attempt beyond the budget.
    if (step.retry && attempt >= step.retry.attempts) {
      return await spent(run, step, attempt, lastError(run, step.key, attempt));
    }
    for (;;) {
      // Also what keeps the step's function out of the caller's synchronous call.
      const lease = await freshLease(run);
      if (lease?.isErr()) return err(lease.error);
      if (run.state.kind !== 'running') return await refusal(run, 'step');
      attempt++;
      const context = new Context(run, step, attempt);
      if (run.observed) {
        started = run.clock.now();
        run.emit({ type: 'step.started', runId: run.runId, name: step.name, key: step.key, attempt });
      }
      const ran = runBody(run.activity, body, () => runUserCode(step.fn, context));
      const result = ran instanceof Promise ? await ran : ran;
      if (result.isOk()) {
        // Encoded and recorded here, not in a function of its own: each async hop costs a promise.
        const output = encodeValue(run.codec, run.storage.maxValueBytes, 'output', result.value);
        if (output.isErr()) return err(output.error);
        const record = {
          key: step.key,
          name: step.name,
          seq: ++run.seq,
          output: output.value,
          at: run.clock.now(),
        };
        const written = await fencedPutStep(run, 'putStep', record);
        if (written.isErr()) return err(written.error);
        const kept = keep(run, record, written.value);
        if (run.observed) {
          run.emit({
            type: 'step.ran',
            runId: run.runId,
            name: step.name,
            key: step.key,
            attempt,
            ms: run.clock.now() - started,
            bytes: utf8Length(kept.output),
          });
        }
        return kept === record ? ok(result.value) : decodeOutput(run, kept);
      }
      if (!step.retry) {
        failed = true;
        run.emit({ type: 'step.failed', runId: run.runId, name: step.name, cause: result.error });
        return err({ type: 'StepFailed', runId: run.runId, step: step.name, cause: result.error });
      }
      const noted = await noteAttempt(run, step, attempt, result.error);
      if (noted.isErr()) return err(noted.error);
      if (!retryable(step.retry, result.error, attempt)) return await spent(run, step, attempt, result.error);
      const delayMs = backoffMs(step.retry, attempt);
      run.emit({
        type: 'step.retrying',
        runId: run.runId,
        name: step.name,
        attempt,
        delayMs,
        cause: result.error,
      });
      await waitOn(run.clock, delayMs);
      if (run.state.kind !== 'running') return await refusal(run, 'step');
    }
  } finally {
    if (run.executions.get(step.key) === execution) run.executions.delete(step.key);
    const released = end(failed);
    if (released !== undefined) await released;
  }
};

/**
 * What a step's function is given. The idempotency key is derived from the run, the step's memo
 * key and the newest cleanup pending when it runs (a cleanup that undid the step is gone on the
 * next attempt, and the one registered again has a new id); it is hashed only when read.
 */
class Context implements StepContext {
  readonly runId: string;
  readonly step: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  readonly #memoKey: string;
  readonly #generation: number;
  #key: string | undefined;

  constructor(run: RunHandle, step: Step, attempt: number) {
    this.runId = run.runId;
    this.step = step.name;
    this.attempt = attempt;
    this.signal = run.abort.signal;
    this.#memoKey = step.key;
    this.#generation = run.pending.at(-1)?.id ?? 0;
  }

  get idempotencyKey(): string {
    this.#key ??= sha256HexSync(`${this.runId}\u0000${this.#memoKey}\u0000${this.#generation}`);
    return this.#key;
  }
}

/**
 * One fenced insert of a record of the run (a step's output, a failed attempt, a wake time, the
 * version, a wait's timeout), mirrored in memory. The first record stored under a key wins: after
 * a lost race the stored one comes back, not ours.
 */
export const recordOnce = async (
  run: RunHandle,
  op: string,
  record: StepRecord,
): Promise<Result<StepRecord, Refusal | StorageUnavailable>> => {
  const written = await fencedPutStep(run, op, record);
  return written.isErr() ? err(written.error) : ok(keep(run, record, written.value));
};

/** The record the storage kept (ours, or the one stored first), mirrored here. */
const keep = (run: RunHandle, record: StepRecord, answer: PutStepOutcome): StepRecord => {
  const kept = answer.kind === 'exists' ? answer.record : record;
  run.records.set(kept.key, kept);
  // New work: a wake-up's replay is over, its registrations no longer adopt (cleanup.ts).
  if (run.inherited.length > 0) run.inherited = [];
  return kept;
};

const lastError = (run: RunHandle, key: string, attempt: number): unknown => {
  const record = run.records.get(attemptKey(key, attempt));
  return record && decodeValue(run.codec, run.runId, 'attempt', record.output).unwrapOr(record.output);
};

/** One write per failed attempt: its error, so `describeRun` shows it and a crash keeps the count. */
const noteAttempt = async (run: RunHandle, step: Step, attempt: number, cause: unknown): Promise<Outcome> => {
  const max = run.storage.maxValueBytes;
  const output = encodeValue(run.codec, max, 'error', errorAsValue(cause)).orElse(() =>
    encodeValue(run.codec, max, 'error', { message: String(cause).slice(0, 1000) }),
  );
  if (output.isErr()) return err(output.error);
  const record = {
    key: attemptKey(step.key, attempt),
    name: step.name,
    seq: ++run.seq,
    output: output.value,
    at: run.clock.now(),
  };
  run.attemptsRecorded = true;
  return recordOnce(run, 'putStep', record);
};

/** Retries spent or refused: the step fails the run (its cleanups run, the error is kept). */
const spent = async (run: RunHandle, step: Step, attempts: number, cause: unknown): Promise<Outcome> => {
  const failed: StepFailed = { type: 'StepFailed', runId: run.runId, step: step.name, cause, attempts };
  run.emit({ type: 'step.failed', runId: run.runId, name: step.name, cause });
  const recorded = await failRun(run, new DurableXError(failed), step.caller);
  // Recorded failed (even if a cleanup failed and stays pending): the step's own failure is the answer.
  return recorded.isErr() && run.state.kind !== 'ended' ? err(recorded.error) : err(failed);
};

const decodeOutput = (run: RunHandle, record: StepRecord): Result<unknown, NotDecodable> =>
  decodeValue(run.codec, run.runId, `output of step ${record.name}`, record.output);
