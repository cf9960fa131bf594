import {
  afterSafe,
  beforeRisky,
  type Checkpoint,
  type CleanupParams,
  durable,
  type Received,
  type SleepFor,
  type StepContext,
  type StepOptions,
  type StepValue,
  type Storage,
  sleep,
  type WaitOptions,
  waitFor,
} from '@td7x/durable-x';

/** What a workflow function is given: its run, its input, and the run's operations, bound. */
export interface WorkflowContext<I = unknown> {
  readonly runId: string;
  readonly workflow: string;
  /** The input the run was started with, as the codec gives it back. */
  readonly input: I;
  readonly checkpoint: Checkpoint;
  readonly storage: Storage;
  /** `durable(storage)(checkpoint)`: `await step('charge')(input)(fn)`. */
  readonly step: (
    name: string,
    options?: StepOptions,
  ) => (input?: unknown) => <T>(fn: (step: StepContext) => T) => Promise<StepValue<T>>;
  readonly sleep: (name: string) => (duration: SleepFor) => Promise<void>;
  readonly waitFor: (name: string) => <T = unknown>(options?: WaitOptions) => Promise<Received<T>>;
  readonly beforeRisky: (name: string) => (params?: CleanupParams) => Promise<void>;
  readonly afterSafe: (name: string) => Promise<void>;
}

/**
 * A workflow: ordinary async code over its context. Its return value is the run's result (the
 * host completes the run when it returns); a sleep or wait suspends it, and the host runs it
 * again when it is due, from the top, its finished steps memoized.
 */
export type Workflow<I = unknown, O = unknown> = (context: WorkflowContext<I>) => O | Promise<O>;

export interface WorkflowOptions {
  /**
   * The version of this workflow's code (`load`'s `version`): a run recorded under another one is
   * restarted from scratch when the host next loads it (see the core's README).
   */
  readonly version?: string;
}

export const contextOf = <I>(
  storage: Storage,
  checkpoint: Checkpoint,
  workflow: string,
  input: I,
): WorkflowContext<I> => ({
  runId: checkpoint.runId,
  workflow,
  input,
  checkpoint,
  storage,
  step: durable(storage)(checkpoint),
  sleep: sleep(storage)(checkpoint),
  waitFor: waitFor(storage)(checkpoint),
  beforeRisky: beforeRisky(storage)(checkpoint),
  afterSafe: afterSafe(storage)(checkpoint),
});
