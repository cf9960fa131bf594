import type { CrashRow } from './sections/crash.ts';
import type { MemoryRow } from './sections/memory.ts';
import type { ResumeRow } from './sections/resume.ts';
import type { StepOverhead } from './sections/step-overhead.ts';
import type { ThroughputRow } from './sections/throughput.ts';

export interface BackendResults {
  readonly backend: string;
  readonly settings: string;
  readonly steps: StepOverhead;
  readonly resume: readonly ResumeRow[];
  readonly throughput: readonly ThroughputRow[];
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly date: string;
  readonly command: string;
  readonly seconds?: number;
}

export interface Results {
  readonly machine: Machine;
  readonly backends: readonly BackendResults[];
  readonly crash: readonly CrashRow[];
  readonly memory: readonly MemoryRow[];
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

const row = (r: BackendResults | undefined, variant: string) =>
  r?.steps.rows.find((x) => x.variant === variant);
const floorRow = (r: BackendResults | undefined) => r?.steps.rows.find((x) => x.variant.startsWith('floor'));
const fixed = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** Step median of durable-x over the floor of record (the first floor) of a backend. */
export const floorRatio = (r: BackendResults | undefined, q: 'medianMs' | 'p95Ms' = 'medianMs'): number => {
  const dx = row(r, 'durable-x');
  const floor = floorRow(r);
  return dx && floor ? dx[q] / floor[q] : Number.NaN;
};

export const dbosStepRatio = (results: Results): number => {
  const pg = results.backends.find((b) => b.backend === 'postgres');
  const dx = row(pg, 'durable-x');
  const dbos = row(pg, 'DBOS Transact 5.3');
  return dx && dbos ? dbos.medianMs / dx.medianMs : Number.NaN;
};

export const PREPARED = 'durable-x, pg prepared statements (execute seam)';

export const throughputRatio = (results: Results, concurrency: number, variant = 'durable-x'): number => {
  const pg = results.backends.find((b) => b.backend === 'postgres');
  const rate = (v: string) =>
    pg?.throughput.find((t) => t.variant === v && t.concurrency === concurrency)?.perSecond;
  const dx = rate(variant);
  const dbos = rate('DBOS Transact 5.3');
  return dx !== undefined && dbos !== undefined ? dx / dbos : Number.NaN;
};

export const crashRatio = (results: Results, variantPrefix: string): number => {
  const dx = results.crash.find((c) => c.variant.startsWith(variantPrefix));
  const dbos = results.crash.find((c) => c.variant.startsWith('DBOS'));
  return dx && dbos ? dx.recoveryMs / dbos.recoveryMs : Number.NaN;
};

/** The targets, each checked against this run's figures. */
export const targets = (results: Results): Target[] => {
  const out: Target[] = [];
  const by = (name: string) => results.backends.find((b) => b.backend === name);
  for (const name of ['postgres', 'sqlite', 'redis']) {
    const b = by(name);
    if (!b) continue;
    const ratio = floorRatio(b);
    out.push({
      target: `per-step overhead ≤ 1.3× the floor on ${name} (median)`,
      measured: `${fixed(ratio)}× (p95 ${fixed(floorRatio(b, 'p95Ms'))}×)`,
      met: Number.isFinite(ratio) ? ratio <= 1.3 : undefined,
    });
  }
  const dbos = dbosStepRatio(results);
  out.push({
    target: 'per step ≥ 5× less time than DBOS (Postgres, median)',
    measured: `DBOS takes ${fixed(dbos, 1)}× as long`,
    met: Number.isFinite(dbos) ? dbos >= 5 : undefined,
  });
  for (const name of ['sqlite', 'postgres', 'redis']) {
    const r1000 = by(name)?.resume.find((r) => r.steps === 1000);
    if (!r1000) continue;
    out.push({
      target: `load of a run with 1000 finished steps: 1 round trip on ${name}`,
      measured: `${r1000.roundTrips} (load + replay of all 1000 steps)`,
      met: r1000.roundTrips === 1,
    });
  }
  for (const prefix of ['durable-x, retry', 'durable-x, supervisor']) {
    const ratio = crashRatio(results, prefix);
    const label = results.crash.find((c) => c.variant.startsWith(prefix))?.variant ?? prefix;
    out.push({
      target: `crash recovery to result ≤ 1/10 of DBOS's (${label})`,
      measured: `${fixed(ratio, 3)} of DBOS's time`,
      met: Number.isFinite(ratio) ? ratio <= 0.1 : undefined,
    });
  }
  const tp = throughputRatio(results, 16);
  out.push({
    target: 'throughput at concurrency 16 ≥ 5× DBOS (Postgres, 10-step workflows)',
    measured: `${fixed(tp, 1)}× (with pg prepared statements: ${fixed(throughputRatio(results, 16, PREPARED), 1)}×)`,
    met: Number.isFinite(tp) ? tp >= 5 : undefined,
  });
  return out;
};
