import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { InvalidName, NotDecodable, RunCompleted, Suspended } from '../errors.ts';
import type { StepRecord, Storage } from '../storage/contract.ts';
import { type Refused, refused } from './cancellation.ts';
import { sleepKey } from './keys.ts';
import { checkName } from './names.ts';
import { recordOnce } from './record.ts';
import { type Checkpoint, type Session, sessionOf } from './session.ts';
import { suspendRun } from './suspend.ts';

export type SleepError = InvalidName | NotDecodable | RunCompleted | Suspended | Refused;

/** How long to sleep (ms), or until when (a `Date` or `{ until: epochMs }`). */
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
    const session = sessionOf(cp);
    return new ResultAsync(sleepTask(session, storage, name, duration));
  };

const sleepTask = async (
  session: Session,
  storage: Storage,
  name: string,
  duration: SleepFor,
): Promise<Result<void, SleepError>> => {
  const checked = checkName('sleep', name);
  if (checked.isErr()) return err(checked.error);
  const wakeAt = await recordedTime(session, storage, name, sleepKey(name), () =>
    wakeTime(session, duration),
  );
  if (wakeAt.isErr()) return err(wakeAt.error);
  // A replay of a completed run went past this sleep, whatever this process's clock says.
  if (session.completed || session.clock.now() >= wakeAt.value) return ok(undefined);
  return suspendRun(session, { reason: 'sleep', name, wakeAt: wakeAt.value });
};

const wakeTime = (session: Session, duration: SleepFor): number => {
  if (typeof duration === 'number') return session.clock.now() + Math.max(0, duration);
  const until = duration instanceof Date ? duration : duration.until;
  return until instanceof Date ? until.getTime() : until;
};

/**
 * A time recorded once under `key` (a sleep's end, a wait's deadline): the stored one if any,
 * else `compute()`, recorded (the first writer's time wins).
 */
export const recordedTime = async (
  session: Session,
  storage: Storage,
  name: string,
  key: string,
  compute: () => number,
): Promise<Result<number, NotDecodable | RunCompleted | Refused>> => {
  const stored = session.memo.get(key);
  if (stored) return timeOf(session, stored);
  if (session.completed) return err({ type: 'RunCompleted', runId: session.runId, step: name });
  if (session.lost) return refused(session, name);
  const record = { key, name, seq: ++session.seq, output: String(compute()), at: session.clock.now() };
  const kept = await recordOnce(session, storage, record);
  return kept.isErr() ? err(kept.error) : timeOf(session, kept.value.record);
};

const timeOf = (session: Session, record: StepRecord): Result<number, NotDecodable> => {
  const time = Number(record.output);
  return Number.isFinite(time)
    ? ok(time)
    : err({
        type: 'NotDecodable',
        runId: session.runId,
        what: `time of ${record.key}`,
        cause: record.output,
      });
};
