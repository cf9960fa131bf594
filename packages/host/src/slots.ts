/** At most `size` holders at once; `acquire` waits its turn (first come, first served). */
export interface Slots {
  /** Resolves once a slot is held; rejects with `reason` if the slots are closed meanwhile. */
  acquire(): Promise<void>;
  /** A slot now, or false without waiting. */
  tryAcquire(): boolean;
  release(): void;
  free(): number;
  /** Refuse every waiter (and every later `acquire`) with `reason`. */
  close(reason: Error): void;
}

export const slots = (size: number): Slots => {
  let held = 0;
  let closed: Error | undefined;
  const waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  return {
    acquire: () => {
      if (closed) return Promise.reject(closed);
      if (held < size && waiters.length === 0) {
        held++;
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    tryAcquire: () => {
      if (closed || held >= size || waiters.length > 0) return false;
      held++;
      return true;
    },
    release: () => {
      const next = waiters.shift();
      if (next) next.resolve();
      else held--;
    },
    free: () => (closed ? 0 : size - held),
    close: (reason) => {
      closed = reason;
      for (const waiter of waiters.splice(0)) waiter.reject(reason);
    },
  };
};
