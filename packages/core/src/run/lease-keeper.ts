import type { Clock } from '../clock.ts';

/**
 * Keeps the lease of a run alive while the run is active, and only then.
 *
 * "Active" means a step or cleanup is running, or one finished since the last tick. A renewal
 * costs one storage call every `leaseMs / 3`, never one per step. When a tick finds the run idle
 * the timer stops, so a workflow that threw and was abandoned stops renewing, and no timer
 * outlives its run. When work failed and then nothing is left running (the workflow most likely
 * gave up), the lease is released at once so that a retry may claim the run without waiting —
 * never while another step of the run is still running, which the retry would run a second time.
 * A workflow that caught the failure and goes on renews before its next step (lease.ts).
 */
export interface LeaseKeeper {
  /**
   * Marks the start of work; call the returned function when it ends, `failed` if it failed. When
   * that end releases the lease, it returns the release: a failed step answers only once it has
   * landed, so that the host's immediate retry cannot overtake it.
   */
  begin(): (failed?: boolean) => Promise<void> | undefined;
  /** Stops renewing for good: the run ended here, or was lost. */
  stop(): void;
}

export const leaseKeeper = (
  clock: Clock,
  leaseMs: number,
  renew: () => unknown,
  release: () => Promise<void>,
): LeaseKeeper => {
  let active = 0;
  let touched = false;
  let failedSinceIdle = false;
  let stopped = false;
  let cancelTimer: (() => void) | undefined;
  const interval = Math.max(1, Math.floor(leaseMs / 3));

  const pause = () => {
    cancelTimer?.();
    cancelTimer = undefined;
  };

  const tick = () => {
    if (active === 0 && !touched) return pause();
    touched = false;
    renew();
  };

  return {
    begin() {
      active++;
      touched = true;
      if (!stopped) cancelTimer ??= clock.every(interval, tick);
      let ended = false;
      return (failed = false) => {
        if (ended) return undefined;
        ended = true;
        active--;
        if (failed) failedSinceIdle = true;
        else touched = true;
        if (active > 0 || !failedSinceIdle || stopped) return undefined;
        failedSinceIdle = false;
        pause();
        return release();
      };
    },
    stop() {
      stopped = true;
      pause();
    },
  };
};
