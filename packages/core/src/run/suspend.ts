import { errAsync, type ResultAsync } from 'neverthrow';
import type { Suspended } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { FOREVER } from '../storage/contract.ts';
import { fencedOff, type Refused } from './cancellation.ts';
import type { Session } from './session.ts';

/**
 * Parks the run until `wakeAt` (or until the signal `signalKey` arrives) and ends this session:
 * the storage clears the owner, so the lease is released and no process waits. Answers the typed
 * `Suspended` that the host turns into a delayed retry.
 */
export const suspendRun = (
  session: Session,
  park: { reason: Suspended['reason']; name: string; wakeAt: number; signalKey?: string },
): ResultAsync<never, Suspended | Refused> => {
  session.keeper.stop();
  return callStorage(session.storage, 'suspend', {
    runId: session.runId,
    owner: session.owner,
    at: session.clock.now(),
    wakeAt: park.wakeAt,
    ...(park.signalKey === undefined ? {} : { signalKey: park.signalKey }),
  }).andThen((outcome) => {
    if (outcome.kind === 'lease-lost') return fencedOff(session, 'suspend');
    session.lost = true;
    session.finished = 'suspended';
    session.leaseExpiresAt = 0;
    const resumeAt = outcome.wakeAt >= FOREVER ? null : outcome.wakeAt;
    session.emit({
      type: 'run.suspended',
      runId: session.runId,
      name: park.name,
      reason: park.reason,
      resumeAt,
    });
    return errAsync<never, Suspended>({
      type: 'Suspended',
      runId: session.runId,
      reason: park.reason,
      name: park.name,
      resumeAt,
    });
  });
};
