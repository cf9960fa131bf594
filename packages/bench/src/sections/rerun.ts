import type { Backend } from '../backends.ts';
import { dbosRerun, dbosWorkflowId } from '../dbos.ts';
import { stepOutput } from '../output.ts';
import { interleaved, median, nowMs } from '../stats.ts';
import { dxWorkflow, freshRunId } from '../workflow.ts';

export interface RerunRow {
  readonly variant: string;
  readonly steps: number;
  /** Re-running a completed run end to end (load, every step answered from storage, complete), median. */
  readonly medianMs: number;
}

/**
 * The re-run of a completed run: what an idempotent request replayed costs (a duplicate gets the
 * memoized result). durable-x: `load` (one round trip) + every step answered from the snapshot +
 * `complete` (a no-op). The naive engine: read the run's recorded outputs back and decode them.
 * DBOS: start the workflow again under its id (it answers the recorded result).
 */
export const measureRerun = async (
  backend: Backend,
  options: { steps: number; rounds: number; withDbos: boolean },
): Promise<RerunRow[]> => {
  type Variant = { label: string; run: () => Promise<unknown> };
  const dxRun = freshRunId('rerun');
  await dxWorkflow(backend.storage, dxRun, options.steps);
  const variants: Variant[] = [
    { label: 'durable-x', run: () => dxWorkflow(backend.storage, dxRun, options.steps) },
  ];
  const floor = backend.floors[0];
  if (floor?.read) {
    const floorRun = freshRunId('rerun-floor');
    for (let i = 0; i < options.steps; i++) await floor.write(floorRun, i, JSON.stringify(stepOutput(i)));
    const read = floor.read.bind(floor);
    variants.push({ label: `naive engine (floor: ${floor.label}), read back`, run: () => read(floorRun) });
  }
  if (options.withDbos) {
    const id = dbosWorkflowId('rerun');
    await dbosRerun(id, options.steps);
    variants.push({ label: 'DBOS Transact 5.3', run: () => dbosRerun(id, options.steps) });
  }
  const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  await interleaved(variants, options.rounds + 1, async (v, round) => {
    const started = nowMs();
    await v.run();
    if (round > 0) times.get(v)?.push(nowMs() - started);
  });
  return variants.map((v) => ({
    variant: v.label,
    steps: options.steps,
    medianMs: median(times.get(v) ?? []),
  }));
};
