import type { Codec, RunSnapshot } from '@td7x/durable-x';

/**
 * Which workflow a run belongs to, and with what input: the run's first memoized step, written
 * by the host through the public API (`step(WORKFLOW_STEP)()(() => record)`). Its input is
 * always `undefined`, so its memo key is the same in every process, and a later load of the run
 * gets the record back from the memo without running anything.
 */
export interface WorkflowRecord {
  readonly workflow: string;
  readonly input: unknown;
}

export const WORKFLOW_STEP = 'durable-x-host:workflow';

/** The key the core gives that step: its name, `#`, and 64 hex digits (the hash of `undefined`). */
const RECORD_KEY = /^durable-x-host:workflow#[0-9a-f]{64}$/;

/** The workflow record in a stored run; undefined when the run was not started by a host. */
export const recordOf = (snapshot: RunSnapshot, codec: Codec): WorkflowRecord | undefined => {
  const record = snapshot.steps.find((s) => s.name === WORKFLOW_STEP && RECORD_KEY.test(s.key));
  if (!record) return undefined;
  let value: unknown;
  try {
    value = codec.decode(record.output);
  } catch {
    return undefined;
  }
  const typed = value as Partial<WorkflowRecord> | null;
  return typeof typed === 'object' && typed !== null && typeof typed.workflow === 'string'
    ? { workflow: typed.workflow, input: typed.input }
    : undefined;
};
