import { randomUUID } from 'node:crypto';
import {
  afterSafe,
  beforeRisky,
  type Checkpoint,
  type CleanupRegistry,
  type Clock,
  complete,
  durable,
  type EventListener,
  type LivenessCheck,
  load,
  type StepContext,
  type Storage,
  sleep,
  waitFor,
} from '@td7x/durable-x';

/** Step names of the reference workflow, in order. `thumbnail` and `metadata` run concurrently. */
export const REFERENCE_STEPS = [
  'fetch',
  'parse',
  'thumbnail',
  'metadata',
  'upload',
  'charge',
  'publish',
] as const;
export type ReferenceStep = (typeof REFERENCE_STEPS)[number];
export const REFERENCE_CLEANUP = 'rollback_upload';
/** Steps recorded after the cleanup is registered: the only ones its rollback may forget. */
export const ROLLBACKABLE: readonly ReferenceStep[] = ['upload'];
/** The durable sleep of the long form, and the signal it then waits for. */
export const COOL_OFF = 'cool-off';
export const APPROVAL = 'approval';
/** How many times `charge` may run under its retry policy. */
export const CHARGE_ATTEMPTS = 3;

/** The payload an operator sends as the approval of `runId`: what the run's output then carries. */
export const approvalOf = (runId: string) => ({ by: 'ops', for: runId });

/** Which parts of the workflow run, beyond its steps and its risky window. */
export interface WorkflowShape {
  /** A durable sleep of this many ms after the upload is safe (the run suspends). Default: none. */
  readonly sleepMs?: number | undefined;
  /** Wait for the signal `approval` before charging (the run suspends until it arrives). */
  readonly awaitApproval?: boolean | undefined;
  /** `charge` fails its first n attempts (at most CHARGE_ATTEMPTS - 1), then succeeds. */
  readonly chargeFailures?: number | undefined;
}

export interface WorkflowHooks extends WorkflowShape {
  /**
   * Called at the start of every step body and cleanup, before it does anything else. `exec` names
   * this one execution: a step's record carries it, a cleanup gets the one of the upload it undoes;
   * a step body also passes its `idempotencyKey`.
   */
  readonly effect: (
    kind: 'step' | 'cleanup',
    name: string,
    exec: string,
    key?: string,
  ) => void | Promise<void>;
  /** afterSafe resolved: the upload `exec` is kept. */
  readonly safe?: (exec: string) => void;
  /** Absent: the core's default lease. */
  readonly leaseMs?: number | undefined;
  readonly onEvent?: EventListener | undefined;
  /** Absent: the system clock. */
  readonly clock?: Clock | undefined;
  /** How a busy run's owner is told alive or dead (e.g. `sameHostLiveness()`); absent: none. */
  readonly liveness?: LivenessCheck | undefined;
}

/** The run's result: a pure function of the run id and shape, so a crashed-and-resumed run returns the same. */
export interface ReferenceOutput {
  readonly url: string;
  readonly words: number;
  readonly thumbnail: string;
  readonly metadata: { readonly words: number; readonly lang: string };
  readonly approval: unknown;
  readonly charged: string;
  readonly published: string;
}

/** What each step stores: its value and the execution that made it (see `WorkflowHooks.effect`). */
export interface Executed<T> {
  readonly value: T;
  readonly exec: string;
}

export const registryOf = (hooks: Pick<WorkflowHooks, 'effect'>): CleanupRegistry => ({
  [REFERENCE_CLEANUP]: async (params) => hooks.effect('cleanup', REFERENCE_CLEANUP, String(params.exec)),
});

/**
 * A small file-processing workflow: sequential steps, a step whose input is an earlier output, two
 * concurrent steps, an upload inside a `beforeRisky(rollback_upload)` / `afterSafe` window whose
 * cleanup names the very upload it undoes, then (long form) a durable sleep and a wait for the
 * signal `approval`, and a `charge` step under a retry policy. Every body reports its effect first.
 */
export const referenceWorkflow = async (
  storage: Storage,
  runId: string,
  hooks: WorkflowHooks,
): Promise<{ checkpoint: Checkpoint; replay: boolean; output: ReferenceOutput }> => {
  const cp = await load(storage, {
    ...(hooks.leaseMs === undefined ? {} : { leaseMs: hooks.leaseMs }),
    ...(hooks.onEvent === undefined ? {} : { onEvent: hooks.onEvent }),
    ...(hooks.clock === undefined ? {} : { clock: hooks.clock }),
    ...(hooks.liveness === undefined ? {} : { liveness: hooks.liveness }),
  })(registryOf(hooks))(runId);
  const step = durable(storage)(cp);
  const body =
    <T>(name: ReferenceStep, value: (context: StepContext) => T, exec: () => string = randomUUID) =>
    async (context: StepContext): Promise<Executed<T>> => {
      const id = exec();
      await hooks.effect('step', name, id, context.idempotencyKey);
      return { value: value(context), exec: id };
    };

  const fetched = (await step('fetch')({ runId })(body('fetch', () => ({ bytes: 4096 + runId.length }))))
    .value;
  const parsed = (
    await step('parse')({ bytes: fetched.bytes })(
      body('parse', () => ({ words: Math.round(fetched.bytes / 8) })),
    )
  ).value;
  const [thumbnail, metadata] = await Promise.all([
    step('thumbnail')({ words: parsed.words })(body('thumbnail', () => `thumb-${parsed.words}.png`)),
    step('metadata')({ words: parsed.words })(body('metadata', () => ({ words: parsed.words, lang: 'en' }))),
  ]);
  const url = `mem://bucket/${encodeURIComponent(runId)}.json`;
  // The upload's execution id is chosen before the window opens, so the cleanup's params name it.
  const upload = randomUUID();
  await beforeRisky(storage)(cp)(REFERENCE_CLEANUP)({ url, exec: upload });
  const uploaded = await step('upload')({ url, thumbnail: thumbnail.value, metadata: metadata.value })(
    body(
      'upload',
      () => url,
      () => upload,
    ),
  );
  await afterSafe(storage)(cp)(REFERENCE_CLEANUP);
  hooks.safe?.(uploaded.exec);

  if (hooks.sleepMs !== undefined) await sleep(storage)(cp)(COOL_OFF)(hooks.sleepMs);
  let approval: unknown = null;
  if (hooks.awaitApproval) {
    const received = await waitFor(storage)(cp)(APPROVAL)();
    approval = received.kind === 'signal' ? received.payload : 'timed out';
  }
  const failures = Math.min(hooks.chargeFailures ?? 0, CHARGE_ATTEMPTS - 1);
  const charged = await step('charge', {
    retry: { attempts: CHARGE_ATTEMPTS, initialDelayMs: 5, jitter: 0 },
  })({
    url,
  })(
    body('charge', ({ attempt }) => {
      if (attempt <= failures) throw new Error(`charge declined (attempt ${attempt})`);
      return `charged:${url}`;
    }),
  );
  const published = await step('publish')({ url: uploaded.value })(
    body('publish', () => `published:${uploaded.value}`),
  );
  await complete(storage)(cp);
  return {
    checkpoint: cp,
    replay: cp.replay,
    output: {
      url: uploaded.value,
      words: parsed.words,
      thumbnail: thumbnail.value,
      metadata: metadata.value,
      approval,
      charged: charged.value,
      published: published.value,
    },
  };
};
