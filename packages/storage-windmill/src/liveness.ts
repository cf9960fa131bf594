import { type Liveness, type LivenessCheck, ownerIdentity, parseOwner } from '@td7x/durable-x';
import { type Env, processEnv } from './run-id.ts';

/** The part of windmill-client's `JobService.getJob` this check uses: one GET of a job. */
export type GetJob = (request: {
  readonly workspace: string;
  readonly id: string;
  readonly noLogs: boolean;
  readonly noCode: boolean;
}) => PromiseLike<unknown> & { cancel?: () => void };

export interface WindmillLivenessOptions {
  /** The job's environment (WM_JOB_ID, WM_WORKSPACE). Default: `process.env`, read at each check. */
  readonly env?: Env;
  /** Default: windmill-client's `JobService.getJob`, imported on the first check. */
  readonly getJob?: GetJob;
}

const KIND = 'wm';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/** windmill-client's own call, imported on first use like the data table (see datatable.ts). */
const clientGetJob: GetJob = (request) => {
  let call: { cancel(): void } | undefined;
  let cancelled = false;
  const pending = import('windmill-client').then(({ JobService }) => {
    call = JobService.getJob(request);
    if (cancelled) call.cancel();
    return call;
  });
  return Object.assign(pending, {
    cancel: () => {
      cancelled = true;
      call?.cancel();
    },
  });
};

/**
 * What Windmill says of a job (`GET /api/w/{workspace}/jobs_u/get/{id}`, windmill-api's `get_job`):
 * a `CompletedJob` has ended (success, failure or cancellation: its process is gone) → `dead`; a
 * running `QueuedJob` → `alive`; a `QueuedJob` that is not running was handed back to the queue
 * (a zombie restart: its old worker may live on) → `unknown`; anything else (404, an outage) → `unknown`.
 */
const verdict = (job: unknown): Liveness => {
  const { type, running } = (job ?? {}) as { type?: unknown; running?: unknown };
  if (type === 'CompletedJob') return 'dead';
  if (type === 'QueuedJob') return running === true ? 'alive' : 'unknown';
  return 'unknown';
};

/**
 * A liveness check for runs held by Windmill jobs: the owner token names the job (`wm:<job id>`),
 * and a run whose job Windmill has recorded completed (it failed when its process was killed,
 * or was cancelled) is taken over at once by the next job — a flow step's retry, a re-run —
 * instead of waiting out the lease. One `getJob` request, on the busy path only.
 *
 * What it assumes, and what stays `unknown` (the lease decides): a run held by this very job id
 * (a zombie job restarted in place: its frozen ghost may wake); a job still queued or running
 * (a worker that vanished keeps its job running until Windmill's zombie detection, 30 s by
 * default); a job Windmill does not know (404: another workspace, or deleted since). A job
 * force-cancelled is completed a moment before its worker kills the process: a step running
 * there may overlap the next job's cleanups (its storage writes are fenced all the same).
 * `windmillStorage` carries this check by default.
 */
export const windmillJobLiveness = (options: WindmillLivenessOptions = {}): LivenessCheck => {
  const env = () => options.env ?? processEnv();
  const getJob = options.getJob ?? clientGetJob;
  const job = nonEmpty(env().WM_JOB_ID);
  return {
    identity: job === undefined ? undefined : ownerIdentity(KIND, job),
    check: async (owner, signal) => {
      const parsed = parseOwner(owner);
      const ownerJob = parsed?.kind === KIND && parsed.fields.length === 1 ? parsed.fields[0] : undefined;
      const workspace = nonEmpty(env().WM_WORKSPACE);
      if (ownerJob === undefined || !UUID.test(ownerJob) || workspace === undefined) return 'unknown';
      if (ownerJob === job) return 'unknown'; // this job's own run: this process, or its ghost
      const request = getJob({ workspace, id: ownerJob, noLogs: true, noCode: true });
      signal.addEventListener('abort', () => request.cancel?.(), { once: true });
      try {
        return verdict(await request);
      } catch {
        return 'unknown'; // 404, 403, an outage: nothing proven
      }
    },
  };
};
