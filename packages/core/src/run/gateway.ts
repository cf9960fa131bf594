import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import type { RunCompleted, StorageUnavailable } from '../errors.ts';
import type { Fenced } from '../storage/contract.ts';
import { blockedWhile, currentBody, outsideBodies } from './activity.ts';
import { moveTo, type RunHandle } from './handle.ts';
import type { Refused } from './state.ts';

/*
 * The one door for the run's fenced writes, and the one place that decides what a refused write
 * means. Before sending, it refuses without I/O what the run's state no longer allows. After, a
 * `lease-lost` answer means another owner holds the run (→ `lost`: stop, change nothing) and a
 * `cancelled` answer means the run was cancelled while this process holds it (→ `cancelled`: this
 * process undoes it once its running steps have ended, and every call answers the outcome).
 */

/** What a call gets once the run is not `running` here. */
export type Refusal = Refused | RunCompleted;

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

export const fencedWrite = async <T>(
  run: RunHandle,
  write: Write<T>,
): Promise<Result<T, Refusal | StorageUnavailable>> => {
  if (!admits(run, write)) return refusal(run, write.op);
  const answer = await write.send();
  if (answer.isErr()) return err(answer.error);
  const verdict = write.verdict(answer.value);
  if (verdict === 'ok') return answer;
  onRefused(run, write.op, verdict);
  return verdict === 'cancelled' && write.undoing ? answer : refusal(run, write.op);
};

/**
 * What a write the storage refused means for the run: `lease-lost`, another owner holds it (the
 * run is lost here); `cancelled`, it was cancelled while this process holds it (this process
 * undoes it). The call then answers `refusal`, except an `undoing` write on a cancelled run.
 */
export const onRefused = (run: RunHandle, op: string, verdict: 'lease-lost' | 'cancelled'): void => {
  if (verdict === 'lease-lost') {
    if (run.state.kind === 'running' || run.state.kind === 'cancelled') {
      run.emit({ type: 'lease.lost', runId: run.runId, op });
      moveTo(run, { kind: 'lost' });
    }
  } else if (run.state.kind === 'running') {
    cancelledUnder(run);
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
      throw new Error(`durable-x: ${op} refused on a running run`);
  }
};

/** Ok while the run is `running` here; else the refusal a call `op` gets. */
export const holding = async (run: RunHandle, op: string): Promise<Result<void, Refusal>> =>
  run.state.kind === 'running' ? ok(undefined) : refusal(run, op);
