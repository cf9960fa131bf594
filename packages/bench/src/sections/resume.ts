import type { Backend } from '../backends.ts';
import { interleaved, median } from '../stats.ts';
import { freshRunId, resumeRun, seedRun } from '../workflow.ts';

export interface ResumeRow {
  readonly steps: number;
  /** Backend requests of one load + replay of every step. */
  readonly roundTrips: number;
  readonly medianMs: number;
}

/**
 * The cost to load a run with N finished steps and replay them all (every step memoized): the
 * run is seeded once, then loaded (a takeover of a released run, as a retry does) `rounds` times.
 * Round trips are counted at the driver: they must not grow with N.
 */
export const measureResume = async (
  backend: Backend,
  options: { sizes: readonly number[]; rounds: number },
): Promise<ResumeRow[]> => {
  const runs = new Map<number, string>();
  for (const n of options.sizes) {
    const runId = freshRunId(`resume${n}`);
    await seedRun(backend.storage, runId, n);
    runs.set(n, runId);
  }
  const times = new Map<number, number[]>(options.sizes.map((n) => [n, []]));
  const trips = new Map<number, number>();
  await interleaved(options.sizes, options.rounds + 1, async (n, round) => {
    const before = backend.roundTrips();
    const { ms, finish } = await resumeRun(backend.storage, runs.get(n) as string, n);
    const rt = backend.roundTrips() - before;
    await finish();
    if (round === 0) return;
    times.get(n)?.push(ms);
    trips.set(n, rt);
  });
  return options.sizes.map((n) => ({
    steps: n,
    roundTrips: trips.get(n) ?? Number.NaN,
    medianMs: median(times.get(n) ?? []),
  }));
};
