import {
  DEFAULT_CONFIG,
  runSchedule,
  type ScheduleConfig,
  type ScheduleResult,
  type SimBackend,
} from './schedule.ts';
import { type Shrunk, shrink } from './shrink.ts';

export interface SweepReport {
  readonly schedules: number;
  readonly events: number;
  readonly ms: number;
  readonly stats: Record<string, number>;
  /** The first failing schedule, shrunk. */
  readonly failure?: Shrunk;
}

/**
 * Runs `count` schedules from `firstSeed` on; stops at the first violation and shrinks it.
 * `backend` is called once per schedule (the reference storage is fresh each time; a real backend
 * is shared and schedules keep to their own run ids).
 */
export const sweep = async (
  firstSeed: number,
  count: number,
  backend: () => SimBackend,
  config: ScheduleConfig = DEFAULT_CONFIG,
  onProgress?: (done: number, last: ScheduleResult) => void,
): Promise<SweepReport> => {
  const started = Date.now();
  const stats: Record<string, number> = {};
  let events = 0;
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i;
    const result = await runSchedule(seed, config, backend(), { namespace: `sim${firstSeed}` });
    events += result.events;
    for (const [key, n] of Object.entries(result.stats)) stats[key] = (stats[key] ?? 0) + n;
    onProgress?.(i + 1, result);
    if (result.violations.length > 0) {
      const failure = await shrink(seed, config, backend);
      return { schedules: i + 1, events, ms: Date.now() - started, stats, failure };
    }
  }
  return { schedules: count, events, ms: Date.now() - started, stats };
};
