import { complete, durable, fail, load, type Storage } from '@td7x/durable-x';
import { stepOutput } from './output.ts';
import { nowMs } from './stats.ts';

export { stepOutput };

export interface WorkflowOptions {
  readonly leaseMs?: number;
  /** Called with each step's wall time (ms), measured around the awaited step call. */
  readonly onStep?: (ms: number) => void;
  /** Awaited before each step; the returned function is called after it (see lockstep.ts). */
  readonly turn?: () => Promise<() => void>;
  /** Stop before completing (leave the run for a later resume). */
  readonly leaveRunning?: boolean;
}

/** The bench workflow: load, `steps` sequential memoized steps, complete. */
export const dxWorkflow = async (
  storage: Storage,
  runId: string,
  steps: number,
  options: WorkflowOptions = {},
): Promise<number> => {
  const cp = await load(storage, options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs })({})(
    runId,
  );
  const step = durable(storage)(cp);
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const done = await options.turn?.();
    const started = nowMs();
    const out = await step(`s${i}`)(i)(() => stepOutput(i));
    options.onStep?.(nowMs() - started);
    done?.();
    sum += out.i;
  }
  if (options.leaveRunning) await fail(storage)(cp)(new Error('left for resume'));
  else await complete(storage)(cp);
  return sum;
};

/** A run with `steps` recorded steps whose lease is released (status failed), ready to resume. */
export const seedRun = (storage: Storage, runId: string, steps: number): Promise<number> =>
  dxWorkflow(storage, runId, steps, { leaveRunning: true });

/** Loads a seeded run and replays its steps (all memoized), then releases it again. */
export const resumeRun = async (
  storage: Storage,
  runId: string,
  steps: number,
): Promise<{ ms: number; finish: () => Promise<void> }> => {
  const started = nowMs();
  const cp = await load(storage)({})(runId);
  const step = durable(storage)(cp);
  for (let i = 0; i < steps; i++) await step(`s${i}`)(i)(() => stepOutput(i));
  const ms = nowMs() - started;
  return { ms, finish: async () => void (await fail(storage)(cp)(new Error('left for resume'))) };
};

let counter = 0;
/** A run id unique in this bench process. */
export const freshRunId = (label: string): string =>
  `${label}:${process.pid}:${Date.now().toString(36)}:${counter++}`;
