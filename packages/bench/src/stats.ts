/** Order statistics of a sample; the bench reports medians and 95th percentiles, never means. */
export const quantile = (values: readonly number[], q: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
};

export const median = (values: readonly number[]): number => quantile(values, 0.5);
export const p95 = (values: readonly number[]): number => quantile(values, 0.95);

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export const nowMs = (): number => performance.now();

/** Interleaves variants: round r runs every variant once, in an order rotated by r. */
export const interleaved = async <V>(
  variants: readonly V[],
  rounds: number,
  run: (variant: V, round: number) => Promise<void>,
): Promise<void> => {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      await run(variants[(i + round) % variants.length] as V, round);
    }
  }
};
