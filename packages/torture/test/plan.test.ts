import { describe, expect, it } from 'vitest';
import { describePlan, parsePlan, randomPlan } from '../src/kill/plan.ts';
import { rng, trialSeed } from '../src/kill/prng.ts';

describe('kill plans', () => {
  it('are replayable from a seed and survive the trip through the environment', () => {
    const plans = (seed: number) =>
      Array.from(
        { length: 20 },
        (
          (r) => () =>
            randomPlan(r)
        )(rng(seed)),
      );
    expect(plans(42).map(describePlan)).toEqual(plans(42).map(describePlan));
    for (const plan of plans(7)) expect(parsePlan(describePlan(plan))).toEqual(plan);
    expect(parsePlan(undefined)).toEqual({ mode: 'none' });
  });
  it('reach every mode', () => {
    const random = rng(trialSeed(1, 2));
    const modes = new Set(Array.from({ length: 200 }, () => randomPlan(random).mode));
    expect([...modes].sort()).toEqual(['after-call', 'before-call', 'in-effect']);
  });
});
