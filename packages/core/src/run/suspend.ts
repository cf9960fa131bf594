import { err, type Result } from 'neverthrow';
import type { StorageUnavailable, Suspended } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { FOREVER } from '../storage/contract.ts';
import { fencedWrite, type Refusal } from './gateway.ts';
import { moveTo, type RunHandle } from './handle.ts';

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
  const parked = await fencedWrite(run, {
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
  });
  if (parked.isErr()) return err(parked.error);
  const wakeAt = parked.value.kind === 'suspended' ? parked.value.wakeAt : park.wakeAt;
  const resumeAt = wakeAt >= FOREVER ? null : wakeAt;
  const suspension: Suspended = {
    type: 'Suspended',
    runId: run.runId,
    reason: park.reason,
    name: park.name,
    resumeAt,
  };
  run.leaseExpiresAt = 0;
  moveTo(run, { kind: 'suspended', suspension });
  run.emit({ type: 'run.suspended', runId: run.runId, name: park.name, reason: park.reason, resumeAt });
  return err(suspension);
};
