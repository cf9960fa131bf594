import type { RawReader } from '@td7x/durable-x-testkit';
import { runKeyOf } from '../src/keys.ts';
import type { FreshBucket } from './support.ts';

/**
 * Reads a run straight from the bucket with plain GETs and JSON.parse, following the documented
 * layout (README "Object layout"), not the adapter's code paths.
 */
export const rawReader = (b: Pick<FreshBucket, 'getText'>, prefix: string): RawReader => ({
  async readRun(runId) {
    const runKey = await runKeyOf(runId);
    const text = await b.getText(`${prefix}runs/${runKey}`);
    if (text === undefined) return undefined;
    const doc = JSON.parse(text);
    if (doc.runId !== runId) throw new Error(`document of ${runId} names ${doc.runId}`);
    const outputs: Record<string, string> = {};
    for (const step of doc.steps) {
      outputs[step.key] =
        'text' in step.output
          ? step.output.text
          : JSON.parse(
              (await b.getText(`${prefix}values/${runKey}/${doc.incarnation}/${step.output.blob}`)) ?? 'null',
            );
    }
    return {
      status: doc.status,
      owner: doc.owner,
      stepKeys: doc.steps.map((s: { key: string }) => s.key),
      outputs,
      cleanupNames: [...doc.cleanups]
        .sort((a: { seq: number }, c: { seq: number }) => a.seq - c.seq)
        .map((c: { name: string }) => c.name),
    };
  },
});
