/**
 * What the harness (parent, in the test) and `child.ts` (a separate node process) agree on:
 * the environment variables a child reads, the lines it prints, and what an outcome looks like.
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
} as const;

export const READY_LINE = 'DX_CRASH_READY';
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
  /** The harness SIGKILLed this child. */
  | { readonly kind: 'killed'; readonly label: string }
  /** Anything else: a typed durable-x error, a crash of the child, a bad storage module. */
  | {
      readonly kind: 'error';
      readonly label: string;
      readonly error: string;
      readonly exitCode: number | null;
      readonly stderr: string;
    };
