/** mulberry32: a tiny seeded PRNG, so that every trial can be replayed from its seed. */
export type Rng = () => number;

export const rng = (seed: number): Rng => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** An integer in [min, max]. */
export const between = (random: Rng, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));

/** The seed of trial `index` of a campaign seeded with `seed`: independent of the other trials. */
export const trialSeed = (seed: number, index: number): number =>
  (Math.imul(seed ^ 0x9e3779b9, 31) + index * 0x85ebca6b) >>> 0;
