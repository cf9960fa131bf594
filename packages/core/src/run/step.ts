import { err, errAsync, okAsync, type Result, ResultAsync } from 'neverthrow';
import type {
  InvalidName,
  LeaseLost,
  NotDecodable,
  NotEncodable,
  PayloadTooLarge,
  RunCompleted,
  StepFailed,
  StorageUnavailable,
} from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { StepRecord, Storage } from '../storage/contract.ts';
import { ensureLease, lostError, markLost, release } from './lease.ts';
import { checkName } from './names.ts';
import { type Checkpoint, type Session, sessionOf } from './session.ts';
import { runUserCode } from './user-code.ts';
import { decodeValue, encodeValue, stepKey } from './values.ts';

export type StepError =
  | InvalidName
  | NotEncodable
  | NotDecodable
  | PayloadTooLarge
  | StorageUnavailable
  | LeaseLost
  | RunCompleted
  | StepFailed;

/** What a step yields: the awaited value, or the `Ok` value when the function returns a Result. */
export type StepValue<R> = Awaited<R> extends Result<infer T, unknown> ? T : Awaited<R>;

/**
 * A memoized step (SPEC 4): `durable(storage)(cp)(name)(input)(fn)`.
 * The memo key is `name` plus a hash of the canonical `input`. A recorded key returns its stored
 * output without running `fn`; otherwise `fn` runs, and its output is recorded with one fenced
 * storage write. The first record stored for a key wins, and every writer returns that one.
 * A failing `fn` (throw or `Err`) records nothing and releases the lease, so a retry may start.
 */
export const durable =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  (input?: unknown) =>
  <R>(fn: () => R): ResultAsync<StepValue<R>, StepError> => {
    const session = sessionOf(cp);
    return checkName('step', name)
      .asyncAndThen(() => stepKey(name, input))
      .andThen((key) => memoizedOr(session, name, key, () => execute(session, storage, name, key, fn)))
      .map((value) => value as StepValue<R>);
  };

const memoizedOr = (
  session: Session,
  name: string,
  key: string,
  run: () => ResultAsync<unknown, StepError>,
): ResultAsync<unknown, StepError> => {
  const stored = session.memo.get(key);
  if (stored) {
    session.emit({ type: 'step.skipped', runId: session.runId, name });
    return resultOf(decodeOutput(session, stored));
  }
  if (session.completed) return errAsync({ type: 'RunCompleted', runId: session.runId, step: name });
  if (session.lost) return lostError(session, 'step');
  // Concurrent calls of one key in this process share one execution.
  const running = session.inflight.get(key) as Promise<Result<unknown, StepError>> | undefined;
  if (running) return new ResultAsync(running);
  const task = run();
  const settled: Promise<Result<unknown, StepError>> = Promise.resolve(task).finally(() =>
    session.inflight.delete(key),
  );
  session.inflight.set(key, settled);
  return new ResultAsync(settled);
};

const execute = (
  session: Session,
  storage: Storage,
  name: string,
  key: string,
  fn: () => unknown,
): ResultAsync<unknown, StepError> => {
  const end = session.keeper.begin();
  const started = session.clock.now();
  return ensureLease(session)
    .andThen(() => runStepBody(session, name, fn))
    .orElse(
      (error): ResultAsync<never, StepError> =>
        error.type === 'StepFailed' ? failStep(session, error, end) : errAsync(error),
    )
    .andThen((value) =>
      resultOf(encodeValue(session.codec, storage.maxValueBytes, 'output', value)).andThen((output) =>
        record(session, storage, { key, name, seq: ++session.seq, output, at: session.clock.now() }, value),
      ),
    )
    .map((value) => {
      session.emit({ type: 'step.ran', runId: session.runId, name, ms: session.clock.now() - started });
      return value;
    })
    .andTee(() => end())
    .orTee(() => end());
};

const runStepBody = (session: Session, name: string, fn: () => unknown): ResultAsync<unknown, StepFailed> =>
  new ResultAsync(runUserCode(fn)).mapErr(
    (cause): StepFailed => ({ type: 'StepFailed', runId: session.runId, step: name, cause }),
  );

/**
 * A failed step records nothing and releases the lease, so that the host's retry can claim the
 * run at once instead of waiting out the lease. Its end is reported as a failure first, so the
 * lease keeper does not renew what was just released.
 */
const failStep = (
  session: Session,
  failed: StepFailed,
  end: (failed: boolean) => void,
): ResultAsync<never, StepFailed> => {
  session.emit({ type: 'step.failed', runId: session.runId, name: failed.step, cause: failed.cause });
  end(true);
  return release(session).andThen(() => err(failed));
};

/** One fenced write; on a lost race the stored record (the first writer's) is what we return. */
const record = (
  session: Session,
  storage: Storage,
  step: StepRecord,
  value: unknown,
): ResultAsync<unknown, StepError> =>
  callStorage(storage, 'putStep', {
    runId: session.runId,
    owner: session.owner,
    record: step,
  }).andThen((outcome): ResultAsync<unknown, StepError> => {
    switch (outcome.kind) {
      case 'written':
        session.memo.set(step.key, step);
        return okAsync(value);
      case 'exists':
        session.memo.set(step.key, outcome.record);
        return resultOf(decodeOutput(session, outcome.record));
      case 'lease-lost':
        return markLost(session, 'putStep');
    }
  });

const decodeOutput = (session: Session, step: StepRecord): Result<unknown, NotDecodable> =>
  decodeValue(session.codec, session.runId, `output of step ${step.name}`, step.output);

const resultOf = <T, E>(result: Result<T, E>): ResultAsync<T, E> => new ResultAsync(Promise.resolve(result));
