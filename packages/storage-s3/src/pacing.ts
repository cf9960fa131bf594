/**
 * How long a write waits before its next round after losing the run document to another writer
 * (a 412 on its conditional PUT), and how many rounds it may lose before it gives up.
 *
 * Every writer of a run rewrites one object, so writers that retry at once keep colliding (16 of
 * them lost 7 % of their writes after 32 rounds). Waits are random (full jitter) and grow
 * exponentially, so colliding writers spread out; and they grow far faster for outsiders than
 * for the run's holder. The holder (a claim, the owner's fenced writes, and any write from the
 * instance that holds the run) is the one process making progress on the run: it retries almost
 * at once and wins the next round against outsiders (signals and cancels from other processes)
 * that are still waiting, so contention costs its steps time, never a failure (README
 * "Contention"). An outsider still gets through: the holder writes at most one PUT at a time, and
 * leaves the document alone while its steps run.
 */
export type Priority = 'holder' | 'outsider';

/** A claim that finds a purge's tombstone waits for the purge to end (`purging`: a few requests). */
export type Pacing = Priority | 'purging';

interface Pace {
  /** Upper bound of the first wait, doubled each lost round up to `capMs`. */
  readonly baseMs: number;
  readonly capMs: number;
  /** Lost rounds after which the write rejects (the core reports `StorageUnavailable`). */
  readonly rounds: number;
}

export const PACES: Readonly<Record<Pacing, Pace>> = {
  holder: { baseMs: 2, capMs: 40, rounds: 400 },
  outsider: { baseMs: 10, capMs: 1_000, rounds: 80 },
  // About 4 s in all: a purge ends within a few requests, or its purger died (documents.ts).
  purging: { baseMs: 10, capMs: 500, rounds: 14 },
};

/** The wait before round `lost + 1` of a write that lost `lost` rounds (≥ 1), in ms. */
export const backoffMs = (pacing: Pacing, lost: number, random: () => number = Math.random): number => {
  const { baseMs, capMs } = PACES[pacing];
  return random() * Math.min(capMs, baseMs * 2 ** Math.min(lost - 1, 30));
};

export const pause = (ms: number): Promise<void> =>
  ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
