/**
 * What the harness (a test, or the campaign) and a worker child (`worker.ts`, a separate node
 * process) agree on: the environment variables a child reads, the lines it prints, and what an
 * outcome looks like.
 */

/** Set by the harness for every child; storage modules read their own variables (DX_SQLITE_FILE…). */
export const ENV = {
  storageModule: 'DX_CRASH_STORAGE_MODULE',
  runId: 'DX_CRASH_RUN_ID',
  ledger: 'DX_CRASH_LEDGER',
  label: 'DX_CRASH_LABEL',
  /** Name of a step whose body, once its effect is in the ledger, waits forever (to be killed there). */
  hangIn: 'DX_CRASH_HANG_IN',
  /** The lease of every load, in ms; `default` loads with the core's default (no leaseMs). */
  leaseMs: 'DX_CRASH_LEASE_MS',
  /** `host`: load with `sameHostLiveness()` (a killed owner on this host is taken over at once). */
  liveness: 'DX_CRASH_LIVENESS',
  /** "1": on RunBusy, wait until the other owner's lease expires and load again (a resumer). */
  waitForLease: 'DX_CRASH_WAIT_FOR_LEASE',
  /** "1": print READY, then start the workflow only when a line arrives on stdin (race barrier). */
  barrier: 'DX_CRASH_BARRIER',
  /** How long each step body takes, in ms, to widen race windows. */
  stepMs: 'DX_CRASH_STEP_MS',
  /** The fault plan of this process (faults.ts), e.g. `after-call#7`. */
  plan: 'DX_CRASH_PLAN',
  /** The workflow's shape (workflow.ts): the sleep, the wait for approval, charge's failures. */
  sleepMs: 'DX_CRASH_SLEEP_MS',
  awaitApproval: 'DX_CRASH_AWAIT_APPROVAL',
  chargeFailures: 'DX_CRASH_CHARGE_FAILURES',
} as const;

export const READY_LINE = 'DX_CRASH_READY';
/** Printed by a child when it reaches the step it hangs in (`hangIn`), its effect in the ledger. */
export const HANGING_LINE = 'DX_CRASH_HANGING';
export const OUTCOME_PREFIX = 'DX_CRASH_OUTCOME ';

/** One durable-x event as a child saw it, reduced to what survives JSON. */
export interface EventSummary {
  readonly type: string;
  readonly name?: string;
  readonly attempt?: number;
  readonly forgotSteps?: number;
}

/** What a child process ended with. */
export type ChildOutcome =
  /** This child claimed the run and completed it. */
  | {
      readonly kind: 'completed';
      readonly label: string;
      readonly attempt: number;
      readonly output: unknown;
      readonly cleanupsRun: readonly string[];
      readonly events: readonly EventSummary[];
    }
  /** The run was already completed: every step came back memoized (a replay). */
  | {
      readonly kind: 'memoized';
      readonly label: string;
      readonly output: unknown;
      readonly events: readonly EventSummary[];
    }
  /** Another process held a live lease: load answered RunBusy. */
  | { readonly kind: 'busy'; readonly label: string }
  /** The run suspended (a sleep, a wait for a signal); `resumeAt` null: only a signal wakes it. */
  | {
      readonly kind: 'suspended';
      readonly label: string;
      readonly reason: string;
      readonly resumeAt: number | null;
    }
  /** The run was cancelled: this child ran `cleanupsRun` (newest first) and stopped. */
  | { readonly kind: 'cancelled'; readonly label: string; readonly cleanupsRun: readonly string[] }
  /** The child was SIGKILLed (by the harness or by its own fault plan). */
  | { readonly kind: 'killed'; readonly label: string }
  /** Anything else: a typed durable-x error (`type`), a crash of the child (`untyped`), a hang. */
  | {
      readonly kind: 'error';
      readonly label: string;
      readonly type: string;
      readonly error: string;
      readonly exitCode: number | null;
      readonly stderr: string;
    };
