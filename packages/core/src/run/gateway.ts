import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import type { RunCompleted, StorageUnavailable } from '../errors.ts';
import type { Fenced, PutStepOutcome, StepRecord } from '../storage/contract.ts';
import { putStepGrouped } from '../storage/group-commit.ts';
import { blockedWhile, currentBody, outsideBodies } from './activity.ts';
import { moveTo, type RunHandle } from './handle.ts';
import type { Refused, RunState } from './state.ts';

/*
 * The one door for the run's fenced writes, and the one place that decides what a refused write
 * means. Before sending, it refuses without I/O what the run's state no longer allows. After, a
 * `lease-lost` answer means another owner holds the run (→ `lost`: stop, change nothing) and a
 * `cancelled` answer means the run was cancelled while this process holds it (→ `cancelled`: this
 * process undoes it once its running steps have ended, and every call answers the outcome).
 */

/**
 * What a call gets once the run is not `running` here (`StorageUnavailable`: letting go of the run
 * was under way and its write failed).
 */
export type Refusal = Refused | RunCompleted | StorageUnavailable;

/**
 * A write of the run: `undoing` writes (rollback, lease upkeep, finishing as cancelled) are the
 * ones a cancelled run still accepts from its owner.
 */
export interface Write<T> {
  readonly op: string;
  readonly undoing: boolean;
  send(): ResultAsync<T, StorageUnavailable>;
  /** Reads the storage's answer as the contract's `Fenced`. */
  verdict(answer: T): Fenced;
}

export const fencedWrite = async <T>(run: RunHandle, write: Write<T>): Promise<Result<T, Refusal>> => {
  // Letting go of the run is under way: judge this write on how the run ends up. (An undoing
  // write — lease upkeep — must not wait for a cancellation's outcome: the undo waits for it.)
  while (run.state.kind === 'ending') await run.state.over;
  if (!admits(run, write)) return refusal(run, write.op);
  const answer = await inFlight(run, write);
  return answer.isErr() ? answer : interpret(run, write, answer.value);
};

/**
 * The write that lets go of the run (complete, fail, suspend): sent once the run's writes in
 * flight have landed, while no other is sent (`ending`): one racing it would be refused by it and
 * read as a takeover. `after` is the state an applied write leads to.
 */
export const lastWrite = async <T>(
  run: RunHandle,
  write: Write<T>,
  after: (answer: T) => RunState,
): Promise<Result<T, Refusal>> => {
  while (run.state.kind === 'running' && run.writes.size > 0) await Promise.allSettled([...run.writes]);
  if (run.state.kind !== 'running') return refusal(run, write.op);
  let over!: () => void;
  moveTo(run, { kind: 'ending', over: new Promise<void>((resolve) => (over = resolve)) });
  try {
    const answer = await inFlight(run, write);
    if (answer.isErr()) {
      moveTo(run, { kind: 'running' });
      return answer;
    }
    if (write.verdict(answer.value) === 'ok') moveTo(run, after(answer.value));
    return interpret(run, write, answer.value);
  } finally {
    // Nothing above should throw; if something did, the run must not stay `ending` for ever.
    if ((run.state as RunState).kind === 'ending') moveTo(run, { kind: 'running' });
    over();
  }
};

/**
 * The step path's write (a step's record, and the core's own records: recordOnce), through the
 * same door as `fencedWrite` but without a ResultAsync in between: each hop costs promises on every
 * step. A rejection or a throw of the storage is `StorageUnavailable` for `putStep`.
 */
export const fencedPutStep = async (
  run: RunHandle,
  op: string,
  record: StepRecord,
): Promise<Result<PutStepOutcome, Refusal>> => {
  while (run.state.kind === 'ending') await run.state.over;
  if (run.state.kind !== 'running') return refusal(run, op);
  let sending: Promise<PutStepOutcome>;
  try {
    sending = putStepGrouped(run.storage, { runId: run.runId, owner: run.owner, record });
  } catch (cause) {
    return err(unavailable(run, cause));
  }
  run.writes.add(sending);
  let answer: PutStepOutcome;
  try {
    answer = await sending;
  } catch (cause) {
    return err(unavailable(run, cause));
  } finally {
    run.writes.delete(sending);
  }
  return answer.kind === 'lease-lost' || answer.kind === 'cancelled'
    ? interpret(run, { op, undoing: false, verdict: () => answer.kind as Fenced }, answer)
    : ok(answer);
};

const unavailable = (run: RunHandle, cause: unknown): StorageUnavailable => ({
  type: 'StorageUnavailable',
  storage: run.storage.name,
  op: 'putStep',
  cause,
});

/** Sends the write, known to `lastWrite` while it is under way. */
const inFlight = async <T>(run: RunHandle, write: Write<T>): Promise<Result<T, StorageUnavailable>> => {
  const sending = Promise.resolve(write.send());
  run.writes.add(sending);
  try {
    return await sending;
  } finally {
    run.writes.delete(sending);
  }
};

/** What the storage's answer means for the run: the one place a refused write is read. */
const interpret = <T>(
  run: RunHandle,
  write: Pick<Write<T>, 'op' | 'undoing' | 'verdict'>,
  answer: T,
): Promise<Result<T, Refusal>> | Result<T, never> => {
  switch (write.verdict(answer)) {
    case 'ok':
      return ok(answer);
    case 'lease-lost':
      if (run.state.kind === 'running' || run.state.kind === 'ending' || run.state.kind === 'cancelled') {
        run.emit({ type: 'lease.lost', runId: run.runId, op: write.op });
        moveTo(run, { kind: 'lost' });
      }
      return refusal(run, write.op);
    case 'cancelled':
      if (run.state.kind === 'running' || run.state.kind === 'ending') cancelledUnder(run);
      return write.undoing ? ok(answer) : refusal(run, write.op);
  }
};

const admits = (run: RunHandle, write: { readonly undoing: boolean }): boolean =>
  run.state.kind === 'running' || (run.state.kind === 'cancelled' && write.undoing);

/**
 * The run was cancelled while this process holds it: from now on every call answers the outcome
 * of undoing it, which starts on its own (not as part of the call that noticed).
 */
export const cancelledUnder = (run: RunHandle): void => {
  const outcome = outsideBodies(() => Promise.resolve().then(() => run.undo(run)));
  moveTo(run, { kind: 'cancelled', outcome });
};

/**
 * What a call `op` gets from a run that is not `running` here. Waiting for a cancellation's
 * outcome, the caller (and the step functions it was called from) count as blocked, so that the
 * undo does not wait for them.
 */
export const refusal = (run: RunHandle, op: string): Promise<Result<never, Refusal>> => {
  const state = run.state;
  switch (state.kind) {
    case 'ending':
      // Letting go of the run is under way: answer as the run ends up.
      return state.over.then(() =>
        run.state.kind === 'running' ? err(lettingGoFailed(run, op)) : refusal(run, op),
      );
    case 'cancelled':
      return blockedWhile(run.activity, currentBody(), state.outcome);
    case 'lost':
      return Promise.resolve(err({ type: 'LeaseLost', runId: run.runId, op }));
    case 'ended':
      return Promise.resolve(err({ type: 'RunEnded', runId: run.runId, status: state.status, op }));
    case 'suspended':
      return Promise.resolve(err(state.suspension));
    case 'replaying':
      return Promise.resolve(err({ type: 'RunCompleted', runId: run.runId, step: op }));
    case 'running':
      // A caller asks only once the run left `running`: reaching this is a bug in the core.
      throw new Error(`durable-x: ${op} refused on a running run`);
  }
};

const lettingGoFailed = (run: RunHandle, op: string): StorageUnavailable => ({
  type: 'StorageUnavailable',
  storage: run.storage.name,
  op,
  cause: new Error('the run was being completed, failed or suspended, and that write failed: call it again'),
});
