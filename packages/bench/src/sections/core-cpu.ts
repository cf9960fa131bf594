import { complete, durable, load, memoryStorage } from '@td7x/durable-x';
import { stepOutput } from '../output.ts';
import { median } from '../stats.ts';

export interface CoreCpuRow {
  readonly variant: string;
  /** CPU time of this process per step (user + system, GC included), median of the rounds, µs. */
  readonly microseconds: number;
}

export interface CoreCpu {
  readonly steps: number;
  readonly rounds: number;
  readonly rows: readonly CoreCpuRow[];
}

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * The core's own CPU per step, on the in-memory storage (whose calls cost next to nothing): a new
 * step (key, memo lookup, the function, encode, the write), a step replayed from a completed
 * run's snapshot (key, memo lookup, decode), and the load of that snapshot per recorded step.
 * CPU time, not wall time: on a shared machine other processes lengthen the wall clock, not this
 * process's CPU. Beside them, the same work written by hand (no memo key, no fence, no events).
 */
export const measureCoreCpu = async (options: { steps: number; rounds: number }): Promise<CoreCpu> => {
  const storage = memoryStorage();
  const { steps } = options;
  let runs = 0;
  const completedRuns: string[] = [];
  const perStep = (started: number) => (cpuMicros() - started) / steps;
  const variants: { label: string; run: () => Promise<number> }[] = [
    {
      label: 'durable-x: a new step (memo key, run, encode, fenced write)',
      run: async () => {
        const runId = `cpu-${runs++}`;
        const cp = await load(storage)({})(runId);
        const step = durable(storage)(cp);
        const started = cpuMicros();
        for (let i = 0; i < steps; i++) await step(`s${i}`)(i)(() => stepOutput(i));
        const micros = perStep(started);
        await complete(storage)(cp);
        completedRuns.push(runId);
        return micros;
      },
    },
    {
      label: 'durable-x: a replayed step of a completed run (memo key, lookup, decode)',
      run: async () => {
        const cp = await load(storage)({})(completedRuns.at(-1) as string);
        const step = durable(storage)(cp);
        const started = cpuMicros();
        for (let i = 0; i < steps; i++) await step(`s${i}`)(i)(() => stepOutput(i));
        return perStep(started);
      },
    },
    {
      label: 'durable-x: load of a completed run, per recorded step',
      run: async () => {
        const started = cpuMicros();
        await load(storage)({})(completedRuns.at(-1) as string);
        return perStep(started);
      },
    },
    {
      label: 'by hand: JSON.stringify, Map.set, await',
      run: async () => {
        const map = new Map<string, string>();
        const started = cpuMicros();
        for (let i = 0; i < steps; i++) {
          const out = await Promise.resolve(stepOutput(i));
          map.set(`s${i}`, JSON.stringify(out));
        }
        return perStep(started);
      },
    },
    {
      label: 'by hand: Map.get, JSON.parse, await',
      run: async () => {
        const map = new Map<string, string>();
        for (let i = 0; i < steps; i++) map.set(`s${i}`, JSON.stringify(stepOutput(i)));
        const started = cpuMicros();
        for (let i = 0; i < steps; i++) await Promise.resolve(JSON.parse(map.get(`s${i}`) as string));
        return perStep(started);
      },
    },
  ];
  const samples = new Map(variants.map((v) => [v.label, [] as number[]]));
  // The first variant seeds the completed run the next two read: the order is kept in each round.
  for (let round = 0; round <= options.rounds; round++) {
    for (const v of variants) {
      const micros = await v.run();
      if (round > 0) samples.get(v.label)?.push(micros);
    }
  }
  return {
    steps,
    rounds: options.rounds,
    rows: variants.map((v) => ({ variant: v.label, microseconds: median(samples.get(v.label) ?? []) })),
  };
};
