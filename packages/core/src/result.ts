/**
 * `@td7x/durable-x/result`: every operation returning a neverthrow `ResultAsync` whose error is
 * a member of the closed `DurableError` union. Nothing here throws.
 */

export { type CancelReport, cancel } from './control/cancel.ts';
export { findDue } from './control/due.ts';
export { type SignalError, type SignalOptions, type SignalReport, signal } from './control/signal.ts';
export { describeRun, type RunDescription, type StepView } from './housekeeping/describe.ts';
export { inspectRun } from './housekeeping/inspect.ts';
export { type ListRunsQuery, listRuns, type RunPage } from './housekeeping/list.ts';
export { type PurgeRunsQuery, purgeRuns } from './housekeeping/purge.ts';
export { findAbandoned, type RecoverReport, recoverAbandoned } from './housekeeping/recover.ts';
export { afterSafe, beforeRisky, type CleanupError } from './run/cleanup.ts';
export type { CompensateError } from './run/compensate.ts';
export {
  type CompleteError,
  type CompleteReport,
  complete,
  type FailError,
  type FailReport,
  fail,
} from './run/finish.ts';
export {
  DEFAULT_LEASE_MS,
  DEFAULT_WAIT_FOR_LEASE_MS,
  type LoadError,
  type LoadOptions,
  load,
} from './run/load.ts';
export { type SleepError, type SleepFor, sleep } from './run/sleep.ts';
export {
  durable,
  type StepContext,
  type StepError,
  type StepOptions,
  type StepValue,
} from './run/step.ts';
export { type WaitError, type WaitOptions, waitFor } from './run/wait.ts';
export * from './shared.ts';
