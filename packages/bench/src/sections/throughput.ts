import type { Backend } from '../backends.ts';
import { dbosWorkflow } from '../dbos.ts';
import { stepOutput } from '../output.ts';
import { interleaved, median, nowMs } from '../stats.ts';
import { dxWorkflow, freshRunId } from '../workflow.ts';

export interface ThroughputRow {
  readonly variant: string;
  readonly concurrency: number;
  /** Completed workflows per second (median of the rounds). */
  readonly perSecond: number;
}

/** `workers` loops each running `each` workflows back to back; workflows per second overall. */
const drive = async (workers: number, each: number, one: () => Promise<unknown>): Promise<number> => {
  const started = nowMs();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < each; i++) await one();
    }),
  );
  return (workers * each * 1000) / (nowMs() - started);
};

/**
 * Independent `steps`-step workflows at each concurrency: durable-x (whose step writes of
 * concurrent runs share round trips: group commit), the naive engine of the floor (one raw write
 * per step) and (optionally) DBOS, interleaved; each round runs `perWorker` workflows per worker.
 */
export const measureThroughput = async (
  backend: Backend,
  options: {
    steps: number;
    concurrencies: readonly number[];
    perWorker: (concurrency: number) => number;
    rounds: number;
    withDbos: boolean;
  },
): Promise<ThroughputRow[]> => {
  type Variant = { label: string; concurrency: number; one: () => Promise<unknown> };
  const variants: Variant[] = [];
  for (const concurrency of options.concurrencies) {
    variants.push({
      label: 'durable-x',
      concurrency,
      one: () => dxWorkflow(backend.storage, freshRunId('tp'), options.steps),
    });
    const floor = backend.floors[0];
    if (floor) {
      variants.push({
        label: `naive engine (floor: ${floor.label})`,
        concurrency,
        one: async () => {
          const runId = freshRunId('tp-floor');
          for (let i = 0; i < options.steps; i++) await floor.write(runId, i, JSON.stringify(stepOutput(i)));
        },
      });
    }
    for (const alternative of backend.alternatives) {
      variants.push({
        label: alternative.label,
        concurrency,
        one: () => dxWorkflow(alternative.storage, freshRunId('tp'), options.steps),
      });
    }
    if (options.withDbos)
      variants.push({ label: 'DBOS Transact 5.3', concurrency, one: () => dbosWorkflow(options.steps) });
  }
  const rates = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  await interleaved(variants, options.rounds + 1, async (v, round) => {
    const rate = await drive(v.concurrency, options.perWorker(v.concurrency), v.one);
    if (round > 0) rates.get(v)?.push(rate);
  });
  return variants.map((v) => ({
    variant: v.label,
    concurrency: v.concurrency,
    perSecond: median(rates.get(v) ?? []),
  }));
};
