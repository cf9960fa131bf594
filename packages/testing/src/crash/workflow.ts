// Imported by path: @td7x/testing does not declare @td7x/durable-x as a dependency (see package.json).
import {
  afterSafe,
  beforeRisky,
  type Checkpoint,
  type CleanupRegistry,
  complete,
  durable,
  type EventListener,
  type LivenessCheck,
  load,
  type StepContext,
  type Storage,
} from '@td7x/durable-x';

/** Step names of the reference workflow, in order. `thumbnail` and `metadata` run concurrently. */
export const REFERENCE_STEPS = ['fetch', 'parse', 'thumbnail', 'metadata', 'upload', 'publish'] as const;
export type ReferenceStep = (typeof REFERENCE_STEPS)[number];
export const REFERENCE_CLEANUP = 'rollback_upload';

export interface WorkflowHooks {
  /**
   * Called at the start of every step body and cleanup, before it does anything else; a step body
   * passes its `idempotencyKey`.
   */
  readonly effect: (kind: 'step' | 'cleanup', name: string, key?: string) => void | Promise<void>;
  /** Absent: the core's default lease. */
  readonly leaseMs: number | undefined;
  readonly onEvent: EventListener;
  readonly liveness?: LivenessCheck;
}

/** The run's result: a pure function of the run id, so a crashed-and-resumed run must return the same. */
export interface ReferenceOutput {
  readonly url: string;
  readonly words: number;
  readonly thumbnail: string;
  readonly metadata: { readonly words: number; readonly lang: string };
  readonly published: string;
}

/**
 * A small file-processing workflow: sequential steps, a step whose input is an earlier output,
 * two concurrent steps, and an upload inside a `beforeRisky('rollback_upload')` / `afterSafe`
 * window. Every body reports its effect through `hooks.effect` first.
 */
export const referenceWorkflow = async (
  storage: Storage,
  runId: string,
  hooks: WorkflowHooks,
): Promise<{ checkpoint: Checkpoint; replay: boolean; output: ReferenceOutput }> => {
  const registry: CleanupRegistry = {
    [REFERENCE_CLEANUP]: async () => hooks.effect('cleanup', REFERENCE_CLEANUP),
  };
  const cp = await load(storage, {
    onEvent: hooks.onEvent,
    ...(hooks.leaseMs === undefined ? {} : { leaseMs: hooks.leaseMs }),
    ...(hooks.liveness === undefined ? {} : { liveness: hooks.liveness }),
  })(registry)(runId);
  const replay = cp.status === 'completed';
  const step = durable(storage)(cp);
  const body =
    <T>(name: ReferenceStep, value: () => T) =>
    async ({ idempotencyKey }: StepContext): Promise<T> => {
      await hooks.effect('step', name, idempotencyKey);
      return value();
    };

  const fetched = await step('fetch')({ runId })(body('fetch', () => ({ bytes: 4096 + runId.length })));
  const parsed = await step('parse')({ bytes: fetched.bytes })(
    body('parse', () => ({ words: Math.round(fetched.bytes / 8) })),
  );
  const [thumbnail, metadata] = await Promise.all([
    step('thumbnail')({ words: parsed.words })(body('thumbnail', () => `thumb-${parsed.words}.png`)),
    step('metadata')({ words: parsed.words })(body('metadata', () => ({ words: parsed.words, lang: 'en' }))),
  ]);
  const url = `mem://bucket/${encodeURIComponent(runId)}.json`;
  await beforeRisky(storage)(cp)(REFERENCE_CLEANUP)({ url });
  await step('upload')({ url, thumbnail, metadata })(body('upload', () => ({ url })));
  await afterSafe(storage)(cp)(REFERENCE_CLEANUP);
  const published = await step('publish')({ url })(body('publish', () => `published:${url}`));
  await complete(storage)(cp);
  return { checkpoint: cp, replay, output: { url, words: parsed.words, thumbnail, metadata, published } };
};
