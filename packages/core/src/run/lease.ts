import { err, ok, type Result } from 'neverthrow';
import type { StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import { fencedWrite, type Refusal } from './gateway.ts';
import type { RunHandle } from './handle.ts';

/*
 * The lease as this process holds it. The keeper (lease-keeper.ts) renews it while the run is
 * active; before a side effect (a step's function, a cleanup) the lease is renewed first when it
 * may have gone stale while the run was idle or stalled. That renewal is also what proves this
 * process is still the owner: a process that stalled past its lease is refused here, and runs
 * nothing.
 */

/**
 * One lease write after the ones before it: a release sent after a failed step and a renewal sent
 * by the `fail` that follows must not cross (the release would land last and leave the cleanups
 * running without a lease).
 */
const inOrder = <T>(run: RunHandle, write: () => Promise<T>): Promise<T> => {
  const done = run.leaseWrites === undefined ? write() : run.leaseWrites.then(write, write);
  run.leaseWrites = done;
  const settled = () => {
    if (run.leaseWrites === done) run.leaseWrites = undefined;
  };
  done.then(settled, settled);
  return done;
};

/** Extends the lease to `now + leaseMs`; on a cancelled run too (its owner undoes under it). */
export const renew = (run: RunHandle): Promise<Result<void, Refusal | StorageUnavailable>> =>
  inOrder(run, async () => {
    const now = run.clock.now();
    const leaseExpiresAt = now + run.leaseMs;
    const renewed = await fencedWrite(run, {
      op: 'setLease',
      undoing: true,
      send: () =>
        callStorage(run.storage, 'setLease', { runId: run.runId, owner: run.owner, leaseExpiresAt, now }),
      verdict: (answer) => answer,
    });
    if (renewed.isErr()) return err(renewed.error);
    run.leaseExpiresAt = leaseExpiresAt;
    return ok(undefined);
  });

/** True when less than a third of the lease is left (or it was released). */
const stale = (run: RunHandle): boolean => run.clock.now() >= run.leaseExpiresAt - run.leaseMs / 3;

/**
 * Renews the lease if it may have gone stale: no round trip on a busy run, whose keeper renews.
 * A lease write still in flight is waited for first: what this process believes must be what
 * storage holds once its writes have landed. A renewal whose answer came back late (the process
 * stalled while it was under way) may have set a lease that is already over: it is renewed again
 * until the lease is fresh when the answer arrives. Undefined when there is nothing to wait for.
 */
export const freshLease = (
  run: RunHandle,
): Promise<Result<void, Refusal | StorageUnavailable>> | undefined =>
  run.leaseWrites === undefined && !stale(run) ? undefined : settledLease(run);

const settledLease = async (run: RunHandle): Promise<Result<void, Refusal | StorageUnavailable>> => {
  for (let renewals = 0; ; renewals++) {
    while (run.leaseWrites !== undefined) await run.leaseWrites;
    if (!stale(run)) return ok(undefined);
    if (renewals === MAX_RENEWALS) {
      const cause = new Error(`the lease could not be renewed in time (${MAX_RENEWALS} tries)`);
      return err({ type: 'StorageUnavailable', storage: run.storage.name, op: 'setLease', cause });
    }
    const renewed = await renew(run);
    if (renewed.isErr()) return renewed;
  }
};

/** Renewals in a row whose answers all came back too late to count: the storage is not keeping up. */
const MAX_RENEWALS = 3;

/** Releases the lease but keeps the owner, so that a retry elsewhere may claim the run at once. */
export const release = (run: RunHandle): Promise<void> =>
  inOrder(run, async () => {
    run.leaseExpiresAt = 0;
    await fencedWrite(run, {
      op: 'setLease',
      undoing: true,
      send: () =>
        callStorage(run.storage, 'setLease', {
          runId: run.runId,
          owner: run.owner,
          leaseExpiresAt: 0,
          now: run.clock.now(),
        }),
      verdict: (answer) => answer,
    });
  });
