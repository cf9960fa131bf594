import { err, ok, type Result, ResultAsync } from 'neverthrow';
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
import { leaseIsStale, markLost, release, renew } from './lease.ts';
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
    return new ResultAsync(stepTask(session, storage, name, input, fn)) as ResultAsync<
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
): Promise<Outcome> => {
  const checked = checkName('step', name);
  if (checked.isErr()) return err(checked.error);
  const key = stepKey(name, input);
  if (key.isErr()) return err(key.error);
  // The step body never runs inside the caller's synchronous call (as before this path was
  // synchronous up to here): one microtask, no ResultAsync.
  await undefined;
  return memoizedOr(session, name, key.value, () => execute(session, storage, name, key.value, fn));
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
  if (session.lost) return err({ type: 'LeaseLost', runId: session.runId, op: 'step' });
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
): Promise<Outcome> => {
  const end = session.keeper.begin();
  const started = session.clock.now();
  try {
    if (leaseIsStale(session)) {
      const renewed = await renew(session);
      if (renewed.isErr()) return err(renewed.error);
    }
    const body = await runUserCode(fn);
    if (body.isErr()) {
      const failed: StepFailed = { type: 'StepFailed', runId: session.runId, step: name, cause: body.error };
      return await failStep(session, failed, end);
    }
    const output = encodeValue(session.codec, storage.maxValueBytes, 'output', body.value);
    if (output.isErr()) return err(output.error);
    const step = { key, name, seq: ++session.seq, output: output.value, at: session.clock.now() };
    const recorded = await record(session, storage, step, body.value);
    if (recorded.isOk()) {
      session.emit({ type: 'step.ran', runId: session.runId, name, ms: session.clock.now() - started });
    }
    return recorded;
  } finally {
    end();
  }
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

/** One fenced write; on a lost race the stored record (the first writer's) is what we return. */
const record = async (
  session: Session,
  storage: Storage,
  step: StepRecord,
  value: unknown,
): Promise<Outcome> => {
  const outcome = await callStorage(storage, 'putStep', {
    runId: session.runId,
    owner: session.owner,
    record: step,
  });
  if (outcome.isErr()) return err(outcome.error);
  switch (outcome.value.kind) {
    case 'written':
      session.memo.set(step.key, step);
      return ok(value);
    case 'exists':
      session.memo.set(step.key, outcome.value.record);
      return decodeOutput(session, outcome.value.record);
    case 'lease-lost':
      return markLost(session, 'putStep');
  }
};

const decodeOutput = (session: Session, step: StepRecord): Result<unknown, NotDecodable> =>
  decodeValue(session.codec, session.runId, `output of step ${step.name}`, step.output);
