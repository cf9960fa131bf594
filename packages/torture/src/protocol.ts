import type { TortureOutput } from './workflow.ts';

/** What `trial.ts` (parent) and `child.ts` agree on. */
export const CHILD_ENV = {
  runId: 'DX_TORTURE_RUN_ID',
  ledger: 'DX_TORTURE_LEDGER',
  attempt: 'DX_TORTURE_ATTEMPT',
  leaseMs: 'DX_TORTURE_LEASE_MS',
  plan: 'DX_TORTURE_PLAN',
} as const;

export const OUTCOME_PREFIX = 'DX_TORTURE_OUTCOME ';

export type ChildReport =
  | {
      readonly kind: 'completed';
      readonly output: TortureOutput;
      readonly attempt: number;
      readonly replay: boolean;
    }
  /** `type`: the DurableError type, or `untyped` for anything else (a crash). */
  | { readonly kind: 'error'; readonly type: string; readonly message: string };

export type AttemptOutcome =
  | ChildReport
  | { readonly kind: 'killed' }
  | { readonly kind: 'lost'; readonly detail: string };
