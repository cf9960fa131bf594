import { type LoadOptions, ownerIdentity } from '@td7x/durable-x';

/** Environment variables, as `process.env` has them (Node and Bun; Deno with `--allow-env`). */
export type Env = Readonly<Record<string, string | undefined>>;

export const processEnv = (): Env => (globalThis as { process?: { env?: Env } }).process?.env ?? {};

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/**
 * A run id from the job's environment, for callers that have no natural one:
 * - in a flow: the root flow's job id plus the step id (`<root>:<step>`), so every retry of that
 *   step (each a new job) resumes the same run;
 * - in a plain script: the job id, which a zombie restart keeps but any other re-run changes.
 * A step inside a flow loop has the same step id in every iteration: give such steps, manual
 * re-runs and scheduled scripts an explicit run id (`file-${fileId}`) instead.
 * Throws outside a Windmill job (no WM_JOB_ID).
 */
export const windmillRunId = (env: Env = processEnv()): string => {
  const root = nonEmpty(env.WM_ROOT_FLOW_JOB_ID) ?? nonEmpty(env.WM_FLOW_JOB_ID);
  const step = nonEmpty(env.WM_FLOW_STEP_ID);
  if (root !== undefined) return step === undefined ? root : `${root}:${step}`;
  const job = nonEmpty(env.WM_JOB_ID);
  if (job === undefined) {
    throw new Error('windmillRunId: WM_JOB_ID is not set (not inside a Windmill job); pass a run id instead');
  }
  return job;
};

/**
 * `load` options naming the job in the owner token: `wm:<WM_JOB_ID>:<random>`. The core always adds
 * the random part, which is what keeps a zombie-restarted job (same job id) apart from its ghost;
 * the job id only tells an operator which job holds a run. Empty outside a job.
 */
export const windmillLoadOptions = (env: Env = processEnv()): LoadOptions => {
  const job = nonEmpty(env.WM_JOB_ID);
  return job === undefined ? {} : { ownerPrefix: ownerIdentity('wm', job) };
};
