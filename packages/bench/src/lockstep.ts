/**
 * A FIFO mutex: variants that run side by side take turns, one measured operation at a time.
 * With every variant waiting for its next turn, FIFO order is round-robin, so a burst of noise on
 * the machine (another process, a checkpoint of the database) lands on all variants alike.
 */
export interface Lockstep {
  /** Resolves when it is the caller's turn; call the returned function to pass the turn on. */
  turn(): Promise<() => void>;
}

export const lockstep = (): Lockstep => {
  const waiting: (() => void)[] = [];
  let held = false;
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else held = false;
  };
  return {
    turn: () =>
      new Promise((resolve) => {
        const grant = () => resolve(release);
        if (held) waiting.push(grant);
        else {
          held = true;
          grant();
        }
      }),
  };
};
