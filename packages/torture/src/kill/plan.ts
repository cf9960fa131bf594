import type { FaultPlan } from '@td7x/testing/crash';
import { between, type Rng } from './prng.ts';

/**
 * A campaign attempt makes up to about 10 storage calls before it parks (a claim, five steps, the
 * risky window, the sleep) and fewer after a wake-up (a claim, the wait, charge and its failed
 * attempts, publish, the completion), and starts up to 6 effects (bodies and a cleanup); a plan
 * picks one of them. Kills are most of the plans; a lost answer and a resend (the driver's own
 * where it resends, see `FaultHooks.driverResend`) are the rest.
 */
const MAX_CALL = 10;
const MAX_EFFECT = 6;

export const randomPlan = (random: Rng): FaultPlan => {
  const pick = random();
  if (pick < 0.3) return { mode: 'before-call', k: between(random, 1, MAX_CALL) };
  if (pick < 0.6) return { mode: 'after-call', k: between(random, 1, MAX_CALL) };
  if (pick < 0.75) return { mode: 'in-effect', k: between(random, 1, MAX_EFFECT) };
  if (pick < 0.875) return { mode: 'lost-reply', k: between(random, 1, MAX_CALL) };
  return { mode: 'resend', k: between(random, 1, MAX_CALL) };
};
