import { describePlan, parsePlan } from '@td7x/testing/crash';
import { describe, expect, it } from 'vitest';
import { randomPlan } from '../src/kill/plan.ts';
import { rng, trialSeed } from '../src/kill/prng.ts';

describe('fault plans', () => {
  it('are replayable from a seed and survive the trip through the environment', () => {
    const plans = (seed: number) => {
      const random = rng(seed);
      return Array.from({ length: 50 }, () => randomPlan(random));
    };
    expect(plans(42)).toEqual(plans(42));
    expect(plans(42)).not.toEqual(plans(43));
    for (const plan of plans(7)) expect(parsePlan(describePlan(plan))).toEqual(plan);
    expect(parsePlan(undefined)).toEqual({ mode: 'none' });
    expect(parsePlan('after-call#x')).toEqual({ mode: 'none' });
  });
  it('reach every mode', () => {
    const random = rng(trialSeed(1, 2));
    const modes = new Set(Array.from({ length: 300 }, () => randomPlan(random).mode));
    expect([...modes].sort()).toEqual(['after-call', 'before-call', 'in-effect', 'lost-reply', 'resend']);
  });
});
