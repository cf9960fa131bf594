import { between, type Rng } from './prng.ts';

/**
 * Where an attempt SIGKILLs itself:
 * - `before-call`: right before its k-th storage call is sent (counting every call, lease
 *   renewals included);
 * - `after-call`: right after its k-th storage call resolved: the write reached the server, the
 *   process dies before using the answer;
 * - `in-effect`: inside the k-th step body or cleanup it runs, once the effect is in the ledger;
 * - `none`: runs to the end.
 */
export type KillPlan =
  | { readonly mode: 'before-call' | 'after-call' | 'in-effect'; readonly k: number }
  | { readonly mode: 'none' };

/** A reference run makes about 11 storage calls and 6 effects; a resume adds a cleanup and its rollback. */
const MAX_CALL = 11;
const MAX_EFFECT = 6;

export const randomPlan = (random: Rng): KillPlan => {
  const pick = random();
  if (pick < 0.4) return { mode: 'before-call', k: between(random, 1, MAX_CALL) };
  if (pick < 0.8) return { mode: 'after-call', k: between(random, 1, MAX_CALL) };
  return { mode: 'in-effect', k: between(random, 1, MAX_EFFECT) };
};

export const describePlan = (plan: KillPlan): string =>
  plan.mode === 'none' ? 'none' : `${plan.mode}#${plan.k}`;

const PLAN_RE = /^(before-call|after-call|in-effect)#(\d+)$/;

export const parsePlan = (text: string | undefined): KillPlan => {
  const match = PLAN_RE.exec(text ?? '');
  if (!match) return { mode: 'none' };
  return { mode: match[1] as 'before-call' | 'after-call' | 'in-effect', k: Number(match[2]) };
};
