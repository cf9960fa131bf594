import { REFERENCE_STEPS, race } from '@td7x/testing/crash';
import { raceSound } from '../check/race.ts';

export interface RaceTrial {
  readonly runId: string;
  readonly processes: number;
  /** How the processes ended: completed / memoized / busy. */
  readonly ends: Readonly<Record<string, number>>;
  readonly violations: readonly string[];
}

/** `processes` children start the reference workflow on one new run id at the same instant. */
export const raceTrial = async (options: {
  readonly env: Readonly<Record<string, string>>;
  readonly runId: string;
  readonly processes?: number;
  /** The bundled child (bundle.ts). */
  readonly child: string;
}): Promise<RaceTrial> => {
  const processes = options.processes ?? 16;
  const { outcomes, ledger } = await race({
    storageModule: '',
    env: options.env,
    runId: options.runId,
    processes,
    leaseMs: 5_000,
    file: options.child,
  });
  const ends: Record<string, number> = {};
  for (const o of outcomes) ends[o.kind] = (ends[o.kind] ?? 0) + 1;
  return { runId: options.runId, processes, ends, violations: raceSound(outcomes, ledger, REFERENCE_STEPS) };
};
