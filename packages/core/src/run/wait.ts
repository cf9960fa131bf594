import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { checkObject, checkOptionalNumber } from '../arguments.ts';
import type {
  InvalidArgument,
  InvalidName,
  NotDecodable,
  NotEncodable,
  PayloadTooLarge,
  RunCompleted,
  StorageUnavailable,
  Suspended,
} from '../errors.ts';
import { FOREVER, type Storage } from '../storage/contract.ts';
import { type Refusal, refusal } from './gateway.ts';
import { type Checkpoint, handleOf, type RunHandle } from './handle.ts';
import { signalKey, waitKey } from './keys.ts';
import { checkName } from './names.ts';
import { type Received, receivedOf, signalRecord } from './signal-record.ts';
import { recordedTime } from './sleep.ts';
import { recordOnce } from './step.ts';
import { suspendRun } from './suspend.ts';

export type WaitError =
  | InvalidArgument
  | InvalidName
  | NotEncodable
  | NotDecodable
  | PayloadTooLarge
  | RunCompleted
  | Suspended
  | StorageUnavailable
  | Refusal;

export interface WaitOptions {
  /** Give up after this many ms from the first time the run got here: `{ kind: 'timeout' }`. */
  readonly timeout?: number;
}

/**
 * Waits for the signal `name` (sent with `signal`): `waitFor(storage)(cp)(name)({ timeout })`.
 * The first signal of the name is the answer, now and on every replay. Not there yet: the run
 * suspends (typed `Suspended`, resumeAt = the deadline or null) and a signal wakes it. Past the
 * deadline: `{ kind: 'timeout' }`, recorded so that a late signal does not change it.
 */
export const waitFor =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  <T = unknown>(options: WaitOptions = {}): ResultAsync<Received<T>, WaitError> => {
    const run = handleOf(storage, cp);
    if (run.isErr()) return errAsync(run.error);
    return new ResultAsync(waitTask(run.value, name, options)) as ResultAsync<Received<T>, WaitError>;
  };

const waitTask = async (
  run: RunHandle,
  name: string,
  options: WaitOptions,
): Promise<Result<Received, WaitError>> => {
  const checked = checkName('signal', name);
  if (checked.isErr()) return err(checked.error);
  const object = checkObject('options', options);
  if (object.isErr()) return err(object.error);
  const timeout = checkOptionalNumber('timeout', options.timeout, { min: 0 });
  if (timeout.isErr()) return err(timeout.error);
  const key = signalKey(name);
  const known = run.records.get(key);
  if (known) return receivedOf(run.codec, run.runId, known).map((r) => announce(run, name, r));
  if (run.state.kind === 'replaying') return err({ type: 'RunCompleted', runId: run.runId, step: name });
  if (run.state.kind !== 'running') return refusal(run, 'waitFor');
  const deadline =
    timeout.value === undefined
      ? ok(FOREVER)
      : await recordedTime(run, name, waitKey(name), Math.min(FOREVER, run.clock.now() + timeout.value));
  if (deadline.isErr()) return err(deadline.error);
  if (run.clock.now() < deadline.value) {
    return suspendRun(run, { reason: 'signal', name, wakeAt: deadline.value, signalKey: key });
  }
  return timeOut(run, name);
};

/**
 * Past the deadline: record the timeout as the wait's answer, unless a signal got there first.
 * Written as a fenced record under the signal's key (seq 0, never rolled back), so that a stale
 * owner cannot decide it.
 */
const timeOut = async (run: RunHandle, name: string): Promise<Result<Received, WaitError>> => {
  const record = signalRecord(
    run.codec,
    run.storage.maxValueBytes,
    name,
    { kind: 'timeout' },
    run.clock.now(),
  );
  if (record.isErr()) return err(record.error);
  const kept = await recordOnce(run, 'waitFor', record.value);
  if (kept.isErr()) return err(kept.error);
  return receivedOf(run.codec, run.runId, kept.value).map((r) => announce(run, name, r));
};

const announce = (run: RunHandle, name: string, received: Received): Received => {
  run.emit({ type: 'signal.received', runId: run.runId, name, timedOut: received.kind === 'timeout' });
  return received;
};
