import type { Clock } from '@td7x/durable-x';
import type { SimProcess, World } from './world.ts';

/**
 * A process's clock: the world's time, and timers that are scheduler events of that process (a
 * lease renewal or a retry's backoff fires only when the scheduler says, never while the process
 * is stalled or after it was killed).
 */
export const simClock = (world: World, process: SimProcess): Clock => ({
  now: () => world.time,
  every: (ms, fn) => {
    let cancel = (): void => {};
    let stopped = false;
    const arm = (at: number) => {
      cancel = world.schedule(
        process,
        `${process.name} timer`,
        () => {
          if (stopped) return;
          arm(Math.max(world.time, at) + ms);
          fn();
        },
        at,
      );
    };
    arm(world.time + ms);
    return () => {
      stopped = true;
      cancel();
    };
  },
  wait: (ms) =>
    new Promise<void>((resolve) => {
      world.schedule(process, `${process.name} wakes`, resolve, world.time + ms);
    }),
});
