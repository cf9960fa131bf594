/**
 * `@td7x/durable-x-host`: an in-process host for durable-x workflows. Register workflows by name,
 * start runs through it, and it resumes — in the same process, with bounded concurrency — runs
 * whose sleep or wait is over and runs whose owner is gone. See README.md.
 */
export { HostError, type HostErrorCode, isHostError } from './errors.ts';
export {
  createHost,
  type Host,
  type HostOptions,
  type PollReport,
  type Skipped,
  type StopReport,
} from './host.ts';
export type { RunOutcome } from './outcome.ts';
export { recordOf, WORKFLOW_STEP, type WorkflowRecord } from './record.ts';
export type { Workflow, WorkflowContext, WorkflowOptions } from './workflow.ts';
