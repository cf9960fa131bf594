import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { waitOn } from '../clock.ts';
import {
  DurableXError,
  type InvalidName,
  type NotDecodable,
  type NotEncodable,
  type PayloadTooLarge,
  type RunCompleted,
  type StepFailed,
} from '../errors.ts';
import type { StepRecord, Storage } from '../storage/contract.ts';
import { trackBody } from './bodies.ts';
import { type Refused, refused } from './cancellation.ts';
import { fail } from './finish.ts';
import { attemptKey, failedAttempts } from './keys.ts';
import { leaseIsStale, release, renew } from './lease.ts';
import { checkName } from './names.ts';
import { recordOnce } from './record.ts';
import { backoffMs, type RetryPolicy, retryable } from './retry.ts';
import { type Checkpoint, checkpointOf, type Session, sessionOf } from './session.ts';
import { runUserCode } from './user-code.ts';
import { decodeValue, encodeValue, errorAsValue, stepKey } from './values.ts';

export type StepError =
  | InvalidName
  | NotEncodable
  | NotDecodable
  | PayloadTooLarge
  | RunCompleted
  | StepFailed
  | Refused;

export interface StepOptions {
  /** Retry the step in process before giving up; exhausting it fails the run. Default: no retry. */
  readonly retry?: RetryPolicy;
}

/** What a step yields: the awaited value, or the `Ok` value when the function returns a Result. */
export type StepValue<R> = Awaited<R> extends Result<infer T, unknown> ? T : Awaited<R>;

/**
 * A memoized step (SPEC 4): `durable(storage)(cp)(name, options?)(input)(fn)`.
 * The memo key is `name` plus a hash of the canonical `input`. A recorded key returns its stored
 * output without running `fn`; otherwise `fn` runs, and its output is recorded with one fenced
 * storage write. The first record stored for a key wins, and every writer returns that one.
 * A failing `fn` (throw or `Err`) records nothing and releases the lease, so a retry may start.
 */
export const durable =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string, options: StepOptions = {}) =>
  (input?: unknown) =>
  <R>(fn: () => R): ResultAsync<StepValue<R>, StepError> => {
    const session = sessionOf(cp);
    return new ResultAsync(stepTask(session, storage, name, input, fn, options.retry)) as ResultAsync<
      StepValue<R>,
      StepError
    >;
  };

/*
 * The step path is plain async code around Results, wrapped in ONE ResultAsync at the API
 * boundary: every extra ResultAsync hop costs promises and a generator in neverthrow's build,
 * which was measured as most of the core's time per step (on top of the one storage write).
 */

type Outcome = Result<unknown, StepError>;

const stepTask = async (
  session: Session,
  storage: Storage,
  name: string,
  input: unknown,
  fn: () => unknown,
  retry: RetryPolicy | undefined,
): Promise<Outcome> => {
  const checked = checkName('step', name);
  if (checked.isErr()) return err(checked.error);
  const key = stepKey(name, input);
  if (key.isErr()) return err(key.error);
  // The step body never runs inside the caller's synchronous call (as before this path was
  // synchronous up to here): one microtask, no ResultAsync.
  await undefined;
  return memoizedOr(session, name, key.value, () => execute(session, storage, name, key.value, fn, retry));
};

const memoizedOr = (
  session: Session,
  name: string,
  key: string,
  run: () => Promise<Outcome>,
): Promise<Outcome> | Outcome => {
  const stored = session.memo.get(key);
  if (stored) {
    session.emit({ type: 'step.skipped', runId: session.runId, name });
    return decodeOutput(session, stored);
  }
  if (session.completed) return err({ type: 'RunCompleted', runId: session.runId, step: name });
  if (session.lost) return Promise.resolve(refused(session, 'step'));
  // Concurrent calls of one key in this process share one execution.
  const running = session.inflight.get(key) as Promise<Outcome> | undefined;
  if (running) return running;
  const settled = run().finally(() => session.inflight.delete(key));
  session.inflight.set(key, settled);
  return settled;
};

const execute = async (
  session: Session,
  storage: Storage,
  name: string,
  key: string,
  fn: () => unknown,
  retry: RetryPolicy | undefined,
): Promise<Outcome> => {
  const end = session.keeper.begin();
  const started = session.clock.now();
  try {
    let attempt = failedAttempts(session.memo, key);
    // Spent before this load (a run failed by this step, loaded again): no attempt beyond the budget.
    if (retry && attempt >= retry.attempts) {
      return await failRun(session, storage, { name, attempt }, lastError(session, key, attempt));
    }
    for (;;) {
      if (leaseIsStale(session)) {
        const renewed = await renew(session);
        if (renewed.isErr()) return err(renewed.error);
      }
      attempt++;
      const body = await trackBody(session.bodies, () => runUserCode(fn));
      if (body.isOk()) return await succeed(session, storage, { key, name, started }, body.value);
      if (!retry) {
        const failed: StepFailed = {
          type: 'StepFailed',
          runId: session.runId,
          step: name,
          cause: body.error,
        };
        return await failStep(session, failed, end);
      }
      const noted = await noteAttempt(session, storage, { key, name, attempt }, body.error);
      if (noted.isErr()) return noted;
      if (!retryable(retry, body.error, attempt)) {
        return await failRun(session, storage, { name, attempt }, body.error);
      }
      const delayMs = backoffMs(retry, attempt);
      session.emit({
        type: 'step.retrying',
        runId: session.runId,
        name,
        attempt,
        delayMs,
        cause: body.error,
      });
      await waitOn(session.clock, delayMs);
      if (session.lost) return await refused(session, 'step');
    }
  } finally {
    end();
  }
};

const succeed = async (
  session: Session,
  storage: Storage,
  step: { key: string; name: string; started: number },
  value: unknown,
): Promise<Outcome> => {
  const output = encodeValue(session.codec, storage.maxValueBytes, 'output', value);
  if (output.isErr()) return err(output.error);
  const record = {
    key: step.key,
    name: step.name,
    seq: ++session.seq,
    output: output.value,
    at: session.clock.now(),
  };
  const recorded = await write(session, storage, record, value);
  if (recorded.isOk()) {
    session.emit({
      type: 'step.ran',
      runId: session.runId,
      name: step.name,
      ms: session.clock.now() - step.started,
    });
  }
  return recorded;
};

/**
 * A failed step records nothing and releases the lease, so that the host's retry can claim the
 * run at once instead of waiting out the lease. Its end is reported as a failure first, so the
 * lease keeper does not renew what was just released.
 */
const failStep = async (
  session: Session,
  failed: StepFailed,
  end: (failed: boolean) => void,
): Promise<Result<never, StepFailed>> => {
  session.emit({ type: 'step.failed', runId: session.runId, name: failed.step, cause: failed.cause });
  end(true);
  await release(session);
  return err(failed);
};

const lastError = (session: Session, key: string, attempt: number): unknown => {
  const record = session.memo.get(attemptKey(key, attempt));
  return (
    record && decodeValue(session.codec, session.runId, 'attempt', record.output).unwrapOr(record.output)
  );
};

/** One write per failed attempt: its error, so `inspectRun` shows it and a crash keeps the count. */
const noteAttempt = async (
  session: Session,
  storage: Storage,
  step: { key: string; name: string; attempt: number },
  cause: unknown,
): Promise<Result<unknown, StepError>> => {
  const output = encodeValue(session.codec, storage.maxValueBytes, 'error', errorAsValue(cause)).orElse(() =>
    encodeValue(session.codec, storage.maxValueBytes, 'error', { message: String(cause).slice(0, 1000) }),
  );
  if (output.isErr()) return err(output.error);
  const record = {
    key: attemptKey(step.key, step.attempt),
    name: step.name,
    seq: ++session.seq,
    output: output.value,
    at: session.clock.now(),
  };
  return write(session, storage, record, undefined);
};

/** Retries exhausted or refused: the step fails the run (its cleanups run, the error is kept). */
const failRun = async (
  session: Session,
  storage: Storage,
  step: { name: string; attempt: number },
  cause: unknown,
): Promise<Outcome> => {
  const failed: StepFailed = {
    type: 'StepFailed',
    runId: session.runId,
    step: step.name,
    cause,
    attempts: step.attempt,
  };
  session.emit({ type: 'step.failed', runId: session.runId, name: step.name, cause });
  const recorded = await fail(storage)(checkpointOf(session))(new DurableXError(failed));
  if (recorded.isErr() && (recorded.error.type === 'LeaseLost' || recorded.error.type === 'Cancelled')) {
    return err(recorded.error);
  }
  return err(failed);
};

/** One fenced write; on a lost race the stored record (the first writer's) is what we return. */
const write = async (
  session: Session,
  storage: Storage,
  step: StepRecord,
  value: unknown,
): Promise<Outcome> => {
  const kept = await recordOnce(session, storage, step);
  if (kept.isErr()) return err(kept.error);
  return kept.value.written ? ok(value) : decodeOutput(session, kept.value.record);
};

const decodeOutput = (session: Session, step: StepRecord): Result<unknown, NotDecodable> =>
  decodeValue(session.codec, session.runId, `output of step ${step.name}`, step.output);
