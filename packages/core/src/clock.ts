/**
 * Where the core gets time and timers. Inject a {@link manualClock} in tests: leases expire and
 * renew when the test says so, with no sleeps.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Call `fn` every `ms` until the returned function is called. Must not keep a process alive. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every: (ms, fn) => {
    const timer = setInterval(fn, ms) as unknown as { unref?: () => void };
    // A lease renewer must never be the reason a finished script does not exit.
    timer.unref?.();
    return () => clearInterval(timer as unknown as ReturnType<typeof setInterval>);
  },
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
    advance: (ms) => fireDue(current + ms),
    set: (epochMs) => fireDue(epochMs),
  };
};
