import { err, type Result } from 'neverthrow';
import type { StorageUnavailable, Suspended } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { FOREVER } from '../storage/contract.ts';
import { lastWrite, type Refusal } from './gateway.ts';
import type { RunHandle } from './handle.ts';

/**
 * Parks the run until `wakeAt` (or until the signal `signalKey` arrives) and lets go of it: the
 * storage clears the owner, so the lease is released and no process waits. Answers the typed
 * `Suspended` that the host turns into a delayed run; every later call of this process answers
 * the same.
 */
export const suspendRun = async (
  run: RunHandle,
  park: { reason: Suspended['reason']; name: string; wakeAt: number; signalKey?: string },
): Promise<Result<never, Suspended | Refusal | StorageUnavailable>> => {
  let suspension: Suspended | undefined;
  const parked = await lastWrite(
    run,
    {
      op: park.reason === 'sleep' ? 'sleep' : 'waitFor',
      undoing: false,
      send: () =>
        callStorage(run.storage, 'suspend', {
          runId: run.runId,
          owner: run.owner,
          at: run.clock.now(),
          wakeAt: park.wakeAt,
          ...(park.signalKey === undefined ? {} : { signalKey: park.signalKey }),
        }),
      verdict: (answer) => (answer.kind === 'suspended' ? 'ok' : answer.kind),
    },
    (answer) => {
      const wakeAt = answer.kind === 'suspended' ? answer.wakeAt : park.wakeAt;
      suspension = {
        type: 'Suspended',
        runId: run.runId,
        reason: park.reason,
        name: park.name,
        resumeAt: wakeAt >= FOREVER ? null : wakeAt,
      };
      run.leaseExpiresAt = 0;
      return { kind: 'suspended', suspension };
    },
  );
  if (parked.isErr()) return err(parked.error);
  if (!suspension) throw new Error('durable-x: a suspension applied without its state');
  const { resumeAt } = suspension;
  run.emit({ type: 'run.suspended', runId: run.runId, name: park.name, reason: park.reason, resumeAt });
  return err(suspension);
};
