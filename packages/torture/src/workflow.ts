import { randomUUID } from 'node:crypto';
import {
  afterSafe,
  beforeRisky,
  type CleanupRegistry,
  complete,
  durable,
  type LoadOptions,
  load,
  type Storage,
} from '@td7x/durable-x';

/**
 * The workflow under torture: sequential steps, a step whose input is an earlier output, two
 * concurrent steps, and an upload inside a `beforeRisky` / `afterSafe` window with a compensating
 * cleanup. Each risky attempt gets a fresh token, carried by the cleanup's params and by the
 * upload's output, so the ledger can say which effect each cleanup undid.
 */
export const CLEANUP = 'delete_upload';
/** Steps recorded after the cleanup is registered: the only ones a rollback may forget. */
export const ROLLBACKABLE = ['upload'] as const;

export interface Effects {
  step(name: string, token?: string): void | Promise<void>;
  cleanup(token: string): void | Promise<void>;
  safe(token: string): void;
}

/** What the run returns: a pure function of the run id (the token is not part of it). */
export interface TortureOutput {
  readonly url: string;
  readonly words: number;
  readonly thumbnail: string;
  readonly metadata: { readonly words: number; readonly lang: string };
  readonly published: string;
}

export const registryOf = (effects: Effects): CleanupRegistry => ({
  [CLEANUP]: async (params) => effects.cleanup(String((params as { token?: unknown }).token)),
});

export const tortureWorkflow = async (
  storage: Storage,
  runId: string,
  effects: Effects,
  options: LoadOptions,
): Promise<{ output: TortureOutput; attempt: number; replay: boolean }> => {
  const cp = await load(storage, options)(registryOf(effects))(runId);
  const step = durable(storage)(cp);
  const body =
    <T>(name: string, value: () => T, token?: string) =>
    async (): Promise<T> => {
      await effects.step(name, token);
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
  const token = randomUUID();
  await beforeRisky(storage)(cp)(CLEANUP)({ url, token });
  const uploaded = await step('upload')({ url, thumbnail, metadata })(
    body('upload', () => ({ url, token }), token),
  );
  await afterSafe(storage)(cp)(CLEANUP);
  effects.safe(uploaded.token);
  const published = await step('publish')({ url: uploaded.url })(
    body('publish', () => `published:${uploaded.url}`),
  );
  await complete(storage)(cp);
  return {
    output: { url: uploaded.url, words: parsed.words, thumbnail, metadata, published },
    attempt: cp.attempt,
    replay: cp.status === 'completed',
  };
};
