import type { Clock } from '../clock.ts';

/**
 * The step functions of one session that are running now. A cancellation waits for them before
 * it runs the cleanups: a cleanup that ran while its effect was still under way would undo
 * nothing, and the effect would land after it.
 */
export interface Bodies {
  running: number;
  readonly idle: (() => void)[];
}

export const noBodies = (): Bodies => ({ running: 0, idle: [] });

/** Runs a step function, counted; no promise of its own (this is on every step's path). */
export const trackBody = async <T>(bodies: Bodies, body: () => Promise<T>): Promise<T> => {
  bodies.running++;
  try {
    return await body();
  } finally {
    if (--bodies.running === 0) for (const resolve of bodies.idle.splice(0)) resolve();
  }
};

/**
 * Resolves once no step function is running, or after `boundMs`: a step that awaits another
 * step inside its function would otherwise wait for itself. The bound is an `every` timer, which
 * never keeps a process alive and is stopped as soon as the bodies end.
 */
export const whenIdle = (bodies: Bodies, clock: Clock, boundMs: number): Promise<void> => {
  if (bodies.running === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const stop = clock.every(boundMs, () => done());
    const done = () => {
      stop();
      resolve();
    };
    bodies.idle.push(done);
  });
};
