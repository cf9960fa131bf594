/**
 * Where the core gets time and timers. Inject a {@link manualClock} in tests: leases expire and
 * renew when the test says so, with no sleeps.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Call `fn` every `ms` until the returned function is called. Must not keep a process alive. */
  every(ms: number, fn: () => void): () => void;
  /**
   * Resolve after `ms` (a retry's backoff, a wait for another owner's lease), or as soon as
   * `signal` aborts. Unlike `every`, it keeps the process alive: something is waiting. Optional
   * for custom clocks: `setTimeout` is used when absent.
   */
  wait?(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every: (ms, fn) => {
    const timer = setInterval(fn, ms) as unknown as { unref?: () => void };
    // A lease renewer must never be the reason a finished script does not exit.
    timer.unref?.();
    return () => clearInterval(timer as unknown as ReturnType<typeof setInterval>);
  },
  wait: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      // An aborted wait clears its timer: a script that gave up waiting exits at once.
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** Resolves when `signal` aborts (never without one). */
const aborted = (signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/**
 * The clock's `wait`, or a plain timer for a clock without one; over at once when `signal` aborts,
 * even on a custom clock that ignores it.
 */
export const waitOn = (clock: Clock, ms: number, signal?: AbortSignal): Promise<void> => {
  const wait = clock.wait
    ? clock.wait(ms, signal)
    : (systemClock.wait as NonNullable<Clock['wait']>)(ms, signal);
  return signal ? Promise.race([wait, aborted(signal)]) : wait;
};

export interface ManualClock extends Clock {
  /** Move time forward, firing due intervals in order. */
  advance(ms: number): void;
  set(epochMs: number): void;
}

/** A clock that moves only when told to. */
export const manualClock = (start = Date.UTC(2026, 0, 1)): ManualClock => {
  let current = start;
  const timers = new Set<{ ms: number; next: number; fn: () => void }>();
  const fireDue = (until: number) => {
    for (;;) {
      const due = [...timers].filter((t) => t.next <= until).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      current = Math.max(current, due.next);
      due.next += due.ms;
      due.fn();
    }
    current = until;
  };
  return {
    now: () => current,
    every: (ms, fn) => {
      const timer = { ms, next: current + ms, fn };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    // A one-shot timer: an interval that removes itself when it first fires (or is aborted).
    wait: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = {
          ms,
          next: current + ms,
          fn: () => {
            timers.delete(timer);
            resolve();
          },
        };
        timers.add(timer);
        signal?.addEventListener('abort', timer.fn, { once: true });
      }),
    advance: (ms) => fireDue(current + ms),
    set: (epochMs) => fireDue(epochMs),
  };
};
