import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { LeaseLost } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { fencedOff, type Refused } from './cancellation.ts';
import type { Session } from './session.ts';

/**
 * Keeps the lease of a run alive while the run is active, and only then.
 *
 * "Active" means a step or cleanup is running, or one finished since the last tick. A renewal
 * costs one storage call every `leaseMs / 3`, never one per step. When a tick finds the run
 * idle the timer stops, so a workflow that threw and was abandoned stops renewing and can be
 * taken over after one lease period, and no timer outlives its run.
 */
export interface LeaseKeeper {
  /**
   * Marks the start of work; call the returned function when it ends. Work that ended in a
   * failure (`failed = true`) does not count as activity: the lease it released stays released.
   */
  begin(): (failed?: boolean) => void;
  stop(): void;
}

export const leaseKeeper = (session: Session): LeaseKeeper => {
  let active = 0;
  let touched = false;
  let cancel: (() => void) | undefined;
  const interval = Math.max(1, Math.floor(session.leaseMs / 3));

  const stop = () => {
    cancel?.();
    cancel = undefined;
  };

  const tick = () => {
    if (active === 0 && !touched) return stop();
    touched = false;
    void renew(session).map(() => (session.lost ? stop() : undefined));
  };

  return {
    begin() {
      active++;
      touched = true;
      cancel ??= session.clock.every(interval, tick);
      let ended = false;
      return (failed = false) => {
        if (ended) return;
        ended = true;
        active--;
        touched = failed ? active > 0 : true;
      };
    },
    stop,
  };
};

/**
 * Extends the lease to `now + leaseMs`. A storage error is left for the next tick or write; a
 * refusal may be a cancellation, which the next call of the run then reports.
 */
export const renew = (session: Session): ResultAsync<void, Refused> => {
  const now = session.clock.now();
  const leaseExpiresAt = now + session.leaseMs;
  return callStorage(session.storage, 'setLease', {
    runId: session.runId,
    owner: session.owner,
    leaseExpiresAt,
    now,
  }).andThen((outcome) => {
    if (outcome === 'lease-lost') return fencedOff(session, 'setLease');
    session.leaseExpiresAt = Math.max(session.leaseExpiresAt, leaseExpiresAt);
    return okAsync(undefined);
  });
};

/**
 * Before side effects: renew first if the lease was released (after a failed step) or has gone
 * stale while the run was idle. On a busy run the keeper has kept it fresh: no round trip.
 */
export const leaseIsStale = (session: Session): boolean =>
  session.clock.now() >= session.leaseExpiresAt - session.leaseMs / 3;

/** Releases the lease but keeps the owner: a retry elsewhere may claim the run at once. */
export const release = (session: Session): ResultAsync<void, never> => {
  session.leaseExpiresAt = 0;
  return callStorage(session.storage, 'setLease', {
    runId: session.runId,
    owner: session.owner,
    leaseExpiresAt: 0,
    now: session.clock.now(),
  })
    .map(() => undefined)
    .orElse(() => okAsync(undefined));
};

export const markLost = (session: Session, op: string): ResultAsync<never, LeaseLost> => {
  if (!session.lost) session.emit({ type: 'lease.lost', runId: session.runId, op });
  session.lost = true;
  session.keeper.stop();
  return errAsync({ type: 'LeaseLost', runId: session.runId, op });
};
