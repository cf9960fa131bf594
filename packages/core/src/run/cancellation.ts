import { err, errAsync, ResultAsync } from 'neverthrow';
import type { Cancelled, LeaseLost } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { whenIdle } from './bodies.ts';
import { compensateOrRelease } from './compensate.ts';
import { finish } from './finish.ts';
import { markLost } from './lease.ts';
import type { LoadError } from './load.ts';
import type { Session } from './session.ts';

/*
 * How a cancellation reaches a run. `cancel` clears the run's owner, so the owner's next fenced
 * write (a step, a cleanup, a lease renewal, completion) is refused like a takeover would be.
 * One read tells the two apart; on a cancellation this process loads the run again, which runs
 * the pending cleanups newest first and records the run `cancelled` for good.
 */

/** What a call gets when its run was taken over or cancelled under it. */
export type Refused = Exclude<LoadError, { type: 'RunBusy' }>;

/** A load that found the run cancelled: run its cleanups, keep it cancelled, answer `Cancelled`. */
export const finishCancelled = (session: Session): ResultAsync<never, Refused> =>
  compensateOrRelease(session)
    .andThen(() => finish(session, session.storage, 'cancelled', null, false))
    .andThen(() => {
      session.emit({ type: 'run.cancelled', runId: session.runId, cleanupsRun: session.cleanupsRun });
      return errAsync<never, Cancelled>({
        type: 'Cancelled',
        runId: session.runId,
        cleanupsRun: [...session.cleanupsRun],
      });
    });

/**
 * A fenced write of this process was refused during `op`. Cancelled → the cleanups run (once per
 * process, whichever call noticed first) and every call answers `Cancelled`; else `LeaseLost`.
 */
export const fencedOff = (session: Session, op: string): ResultAsync<never, Refused> => {
  if (session.cancellation) return new ResultAsync(session.cancellation);
  return callStorage(session.storage, 'read', session.runId)
    .orElse(() => markLost(session, op))
    .andThen((snapshot) =>
      snapshot?.run.status === 'cancelled' ? honourCancellation(session) : markLost(session, op),
    );
};

/** The error every call of a session that lost its lease (or learnt of a cancellation) gets. */
export const refused = (session: Session, op: string): ResultAsync<never, Refused> =>
  session.cancellation
    ? new ResultAsync(session.cancellation)
    : errAsync<never, LeaseLost>({ type: 'LeaseLost', runId: session.runId, op });

const honourCancellation = (session: Session): ResultAsync<never, Refused> => {
  session.lost = true;
  session.keeper.stop();
  session.cancellation ??= whenIdle(session.bodies, session.clock, session.leaseMs)
    .then(() => session.reload())
    .then((reloaded) =>
      // The reload answers Cancelled after running the cleanups. RunBusy: another process claimed
      // the cancelled run first and runs them; still a cancellation, as far as this process goes.
      reloaded.isErr() && reloaded.error.type !== 'RunBusy'
        ? err(reloaded.error)
        : err<never, Cancelled>({ type: 'Cancelled', runId: session.runId, cleanupsRun: [] }),
    );
  return new ResultAsync(session.cancellation);
};
