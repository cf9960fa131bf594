import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { type Checked, checkInstant, checkNumber, invalid } from '../arguments.ts';
import type {
  InvalidArgument,
  InvalidName,
  NotDecodable,
  RunCompleted,
  StorageUnavailable,
  Suspended,
} from '../errors.ts';
import { FOREVER, type StepRecord, type Storage } from '../storage/contract.ts';
import { type Refusal, refusal } from './gateway.ts';
import { type Checkpoint, handleOf, type RunHandle } from './handle.ts';
import { sleepKey } from './keys.ts';
import { checkName } from './names.ts';
import { recordOnce } from './step.ts';
import { suspendRun } from './suspend.ts';

export type SleepError =
  | InvalidArgument
  | InvalidName
  | NotDecodable
  | RunCompleted
  | Suspended
  | StorageUnavailable
  | Refusal;

/** How long to sleep (ms), or until when (a `Date` or `{ until: epochMs | Date }`). */
export type SleepFor = number | Date | { readonly until: number | Date };

/**
 * A durable sleep: `sleep(storage)(cp)(name)(duration | until)`. The wake time is recorded the
 * first time the run gets here; until then the run suspends (typed `Suspended { resumeAt }`,
 * lease released, nothing waits), and from then on the sleep is a no-op. Names are memo keys:
 * give each sleep of a run its own.
 */
export const sleep =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  (duration: SleepFor): ResultAsync<void, SleepError> => {
    const run = handleOf(storage, cp);
    if (run.isErr()) return errAsync(run.error);
    return new ResultAsync(sleepTask(run.value, name, duration));
  };

const sleepTask = async (
  run: RunHandle,
  name: string,
  duration: SleepFor,
): Promise<Result<void, SleepError>> => {
  const checked = checkName('sleep', name);
  if (checked.isErr()) return err(checked.error);
  const wake = wakeTime(run, duration);
  if (wake.isErr()) return err(wake.error);
  const wakeAt = await recordedTime(run, name, sleepKey(name), wake.value);
  if (wakeAt.isErr()) return err(wakeAt.error);
  // A replay of a completed run went past this sleep, whatever this process's clock says.
  if (run.state.kind === 'replaying' || run.clock.now() >= wakeAt.value) return ok(undefined);
  return suspendRun(run, { reason: 'sleep', name, wakeAt: wakeAt.value });
};

/** The wake time asked for, checked before any I/O: a NaN or an invalid Date would be stored for good. */
const wakeTime = (run: RunHandle, duration: SleepFor): Checked<number> => {
  if (typeof duration === 'number') {
    // A past duration wakes now; one past the end of time never wakes (only a cancel ends it).
    return checkNumber('duration', duration, { min: Number.NEGATIVE_INFINITY }).map((ms) =>
      Math.min(FOREVER, run.clock.now() + Math.max(0, ms)),
    );
  }
  if (duration instanceof Date) return checkInstant('duration', duration);
  if (typeof duration === 'object' && duration !== null && 'until' in duration) {
    return checkInstant('duration.until', duration.until);
  }
  return invalid('duration', 'expected milliseconds, a Date or { until }');
};

/**
 * A time recorded once under `key` (a sleep's end, a wait's deadline): the stored one if any,
 * else `proposed`, recorded (the first writer's time wins).
 */
export const recordedTime = async (
  run: RunHandle,
  name: string,
  key: string,
  proposed: number,
): Promise<Result<number, NotDecodable | RunCompleted | StorageUnavailable | Refusal>> => {
  const stored = run.records.get(key);
  if (stored) return timeOf(run, stored);
  if (run.state.kind === 'replaying') return err({ type: 'RunCompleted', runId: run.runId, step: name });
  if (run.state.kind !== 'running') return refusal(run, name);
  const record = { key, name, seq: ++run.seq, output: String(proposed), at: run.clock.now() };
  const kept = await recordOnce(run, name, record);
  return kept.isErr() ? err(kept.error) : timeOf(run, kept.value);
};

const timeOf = (run: RunHandle, record: StepRecord): Result<number, NotDecodable> => {
  const time = Number(record.output);
  return Number.isFinite(time)
    ? ok(time)
    : err({ type: 'NotDecodable', runId: run.runId, what: `time of ${record.key}`, cause: record.output });
};
