import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type {
  InvalidName,
  NotDecodable,
  NotEncodable,
  PayloadTooLarge,
  RunCompleted,
  Suspended,
} from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { FOREVER, type Storage } from '../storage/contract.ts';
import { type Refused, refused } from './cancellation.ts';
import { signalKey, waitKey } from './keys.ts';
import { checkName } from './names.ts';
import { type Checkpoint, type Session, sessionOf } from './session.ts';
import { type Received, receivedOf, signalRecord } from './signal-record.ts';
import { recordedTime } from './sleep.ts';
import { suspendRun } from './suspend.ts';

export type WaitError =
  | InvalidName
  | NotEncodable
  | NotDecodable
  | PayloadTooLarge
  | RunCompleted
  | Suspended
  | Refused;

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
    const session = sessionOf(cp);
    return new ResultAsync(waitTask(session, storage, name, options)) as ResultAsync<Received<T>, WaitError>;
  };

const waitTask = async (
  session: Session,
  storage: Storage,
  name: string,
  options: WaitOptions,
): Promise<Result<Received, WaitError>> => {
  const checked = checkName('signal', name);
  if (checked.isErr()) return err(checked.error);
  const key = signalKey(name);
  const known = session.memo.get(key);
  if (known) return receivedOf(session.codec, session.runId, known).map((r) => announce(session, name, r));
  if (session.completed) return err({ type: 'RunCompleted', runId: session.runId, step: name });
  if (session.lost) return refused(session, name);
  const deadline =
    options.timeout === undefined
      ? ok(FOREVER)
      : await recordedTime(
          session,
          storage,
          name,
          waitKey(name),
          () => session.clock.now() + options.timeout!,
        );
  if (deadline.isErr()) return err(deadline.error);
  if (session.clock.now() < deadline.value) {
    return suspendRun(session, { reason: 'signal', name, wakeAt: deadline.value, signalKey: key });
  }
  return timeOut(session, storage, name);
};

/** Past the deadline: record the timeout as the wait's answer, unless a signal got there first. */
const timeOut = async (
  session: Session,
  storage: Storage,
  name: string,
): Promise<Result<Received, WaitError>> => {
  const now = session.clock.now();
  const record = signalRecord(session.codec, storage.maxValueBytes, name, { kind: 'timeout' }, now);
  if (record.isErr()) return err(record.error);
  const outcome = await callStorage(storage, 'putSignal', {
    runId: session.runId,
    record: record.value,
    now,
  });
  if (outcome.isErr()) return err(outcome.error);
  if (outcome.value.kind === 'not-found') return refused(session, name);
  const kept = outcome.value.kind === 'exists' ? outcome.value.record : record.value;
  session.memo.set(kept.key, kept);
  return receivedOf(session.codec, session.runId, kept).map((r) => announce(session, name, r));
};

const announce = (session: Session, name: string, received: Received): Received => {
  session.emit({
    type: 'signal.received',
    runId: session.runId,
    name,
    timedOut: received.kind === 'timeout',
  });
  return received;
};
