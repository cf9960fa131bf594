import { type CrashRow, DBOS_CRASH, DX_CRASH, NAIVE_CRASH } from './sections/crash.ts';
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
  /** Set when the crash section was measured alone (`BENCH_ONLY=crash`), after `machine`'s run. */
  readonly crashMachine?: Machine;
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

const crashRow = (results: Results, backend: string, variant: string) =>
  results.crash.find((c) => c.backend === backend && c.variant === variant);

/** durable-x's crash → result over another variant's on one backend: whole, or after imports. */
export const crashRatio = (
  results: Results,
  backend: string,
  versus: string,
  part: 'recoveryMs' | 'afterImportsMs',
): number => {
  const dx = crashRow(results, backend, DX_CRASH);
  const other = crashRow(results, backend, versus);
  return dx && other ? dx[part] / other[part] : Number.NaN;
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
  for (const backend of ['postgres', 'sqlite']) {
    const after = crashRatio(results, backend, NAIVE_CRASH, 'afterImportsMs');
    if (!Number.isFinite(after)) continue;
    out.push({
      target: `crash → result within 1.5× of a naive engine's on ${backend} (default lease; after imports)`,
      measured: `${fixed(after)}× (whole process: ${fixed(crashRatio(results, backend, NAIVE_CRASH, 'recoveryMs'))}×)`,
      met: after <= 1.5,
    });
  }
  const versusDbos = crashRatio(results, 'postgres', DBOS_CRASH, 'recoveryMs');
  if (Number.isFinite(versusDbos)) {
    out.push({
      target: `crash recovery to result ≤ 1/10 of DBOS's (${DX_CRASH})`,
      measured: `${fixed(versusDbos, 3)} of DBOS's time (after imports: ${fixed(crashRatio(results, 'postgres', DBOS_CRASH, 'afterImportsMs'), 3)})`,
      met: versusDbos <= 0.1,
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
