import { runSchedule, type ScheduleConfig, type ScheduleResult, type SimBackend } from './schedule.ts';

export interface Shrunk {
  readonly seed: number;
  readonly config: ScheduleConfig;
  /** Actor firings left out. */
  readonly skip: readonly number[];
  readonly result: ScheduleResult;
}

/**
 * Makes a failing schedule as small as it stays failing: fewer runs, shorter programs, fewer actor
 * firings, then each remaining firing left out in turn. The result's trace is what to read.
 */
export const shrink = async (
  seed: number,
  config: ScheduleConfig,
  backend: () => SimBackend,
): Promise<Shrunk> => {
  const fails = async (c: ScheduleConfig, skip: ReadonlySet<number>) =>
    (await runSchedule(seed, c, backend(), { skip, namespace: `shrink${seed}` })).violations.length > 0;
  let best = config;
  const tryConfig = async (candidate: ScheduleConfig) => {
    if (await fails(candidate, new Set())) best = candidate;
  };
  if (best.runs > 1) await tryConfig({ ...best, runs: 1 });
  for (let size = 1; size < best.programSize; size++) {
    if (await fails({ ...best, programSize: size }, new Set())) {
      best = { ...best, programSize: size };
      break;
    }
  }
  for (let actors = 1; actors < best.actors; actors = Math.ceil(actors * 1.5)) {
    if (await fails({ ...best, actors }, new Set())) {
      best = { ...best, actors };
      break;
    }
  }
  const skip = new Set<number>();
  for (let ordinal = 0; ordinal < best.actors; ordinal++) {
    skip.add(ordinal);
    if (!(await fails(best, skip))) skip.delete(ordinal);
  }
  const result = await runSchedule(seed, best, backend(), { skip, trace: true, namespace: `shrink${seed}` });
  return { seed, config: best, skip: [...skip], result };
};
