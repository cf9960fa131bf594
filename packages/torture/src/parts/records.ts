import { defaultCodec } from '@td7x/durable-x';
import type { RawRun } from '@td7x/durable-x-testkit';

/** The execution id a step record carries (the reference workflow stores `{ value, exec }`). */
const execOf = (output: string): string | undefined => {
  try {
    return (defaultCodec.decode(output) as { exec?: string } | null)?.exec;
  } catch {
    return undefined;
  }
};

/** What a raw read shows of each step: its name and the execution its record names. */
export const recordsOf = (run: RawRun | undefined): { name: string; exec: string | undefined }[] =>
  run
    ? run.stepKeys
        .filter((key) => /#[0-9a-f]{64}$/.test(key))
        .map((key) => ({ name: key.slice(0, key.lastIndexOf('#')), exec: execOf(run.outputs[key] ?? '') }))
    : [];
