import type { CoreCpu } from './sections/core-cpu.ts';
import { type CrashRow, DBOS_CRASH, DX_CRASH, NAIVE_CRASH } from './sections/crash.ts';
import type { MemoryRow } from './sections/memory.ts';
import type { RerunRow } from './sections/rerun.ts';
import type { ResumeRow } from './sections/resume.ts';
import type { ScalingRow } from './sections/scaling.ts';
import type { StepOverhead } from './sections/step-overhead.ts';
import type { ThroughputRow } from './sections/throughput.ts';

export interface BackendResults {
  readonly backend: string;
  readonly settings: string;
  /** One synchronous commit on this backend, median ms (synchronous on less off). */
  readonly commitMs?: number;
  readonly steps: StepOverhead;
  readonly resume: readonly ResumeRow[];
  readonly rerun?: readonly RerunRow[];
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
  readonly coreCpu?: CoreCpu;
  readonly crash: readonly CrashRow[];
  /** Set when the crash section was measured alone (`BENCH_ONLY=crash`), after `machine`'s run. */
  readonly crashMachine?: Machine;
  readonly memory: readonly MemoryRow[];
  readonly scaling?: readonly ScalingRow[];
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

export const ADAPTER_ALONE = 'adapter putStep alone (no core)';

/** Step median of `variant` (durable-x by default) over the floor of record (the first floor). */
export const floorRatio = (
  r: BackendResults | undefined,
  q: 'medianMs' | 'p95Ms' = 'medianMs',
  variant = 'durable-x',
): number => {
  const dx = row(r, variant);
  const floor = floorRow(r);
  return dx && floor ? dx[q] / floor[q] : Number.NaN;
};

export const dbosStepRatio = (results: Results): number => {
  const pg = results.backends.find((b) => b.backend === 'postgres');
  const dx = row(pg, 'durable-x');
  const dbos = row(pg, 'DBOS Transact 5.3');
  return dx && dbos ? dbos.medianMs / dx.medianMs : Number.NaN;
};

const rate = (b: BackendResults | undefined, concurrency: number, prefix: string): number | undefined =>
  b?.throughput.find((t) => t.variant.startsWith(prefix) && t.concurrency === concurrency)?.perSecond;

/** durable-x's throughput over `other`'s (`DBOS…` or `naive engine…`) at a concurrency. */
export const throughputRatio = (
  results: Results,
  concurrency: number,
  other = 'DBOS Transact 5.3',
  backend = 'postgres',
): number => {
  const b = results.backends.find((x) => x.backend === backend);
  const dx = rate(b, concurrency, 'durable-x');
  const them = rate(b, concurrency, other);
  return dx !== undefined && them !== undefined ? dx / them : Number.NaN;
};

export const rerunOf = (results: Results, backend: string, prefix: string): number | undefined =>
  results.backends.find((b) => b.backend === backend)?.rerun?.find((r) => r.variant.startsWith(prefix))
    ?.medianMs;

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

const coreCpuOf = (results: Results, prefix: string): number | undefined =>
  results.coreCpu?.rows.find((r) => r.variant.startsWith(prefix))?.microseconds;

const atMost = (value: number | undefined, limit: number): boolean | undefined =>
  value === undefined || !Number.isFinite(value) ? undefined : value <= limit;

/** The targets, each checked against this run's figures. */
export const targets = (results: Results): Target[] => {
  const out: Target[] = [];
  const by = (name: string) => results.backends.find((b) => b.backend === name);
  const newStep = coreCpuOf(results, 'durable-x: a new step');
  const replayed = coreCpuOf(results, 'durable-x: a replayed step');
  out.push(
    {
      target: 'core CPU per new step ≤ 5 µs (memory storage)',
      measured: `${fixed(newStep ?? Number.NaN, 2)} µs`,
      met: atMost(newStep, 5),
    },
    {
      target: 'core CPU per memoized step replayed ≤ 1 µs (memory storage)',
      measured: `${fixed(replayed ?? Number.NaN, 2)} µs`,
      met: atMost(replayed, 1),
    },
  );
  for (const name of ['postgres', 'sqlite', 'redis', 'postgres-fsync', 'sqlite-fsync']) {
    const b = by(name);
    if (!b) continue;
    const write = floorRatio(b, 'medianMs', ADAPTER_ALONE);
    out.push({
      target: `step write (the adapter's putStep) ≤ 1.2× the plain write on ${name} (median)`,
      measured: `${fixed(write)}× (p95 ${fixed(floorRatio(b, 'p95Ms', ADAPTER_ALONE))}×; a whole step through the core ${fixed(floorRatio(b))}×)`,
      met: Number.isFinite(write) ? write <= 1.2 : undefined,
    });
  }
  for (const name of ['postgres', 'sqlite', 'postgres-fsync', 'sqlite-fsync']) {
    if (!by(name)) continue;
    const ratio = throughputRatio(results, 16, 'naive engine', name);
    out.push({
      target: `throughput at concurrency 16 ≥ 2× the naive engine's on ${name} (10-step workflows, group commit)`,
      measured: `${fixed(ratio, 2)}× (commit ${fixed(by(name)?.commitMs ?? Number.NaN, 2)} ms)`,
      met: Number.isFinite(ratio) ? ratio >= 2 : undefined,
    });
  }
  const tp = throughputRatio(results, 16);
  out.push({
    target: 'throughput at concurrency 16 ≥ 5× DBOS (Postgres, 10-step workflows)',
    measured: `${fixed(tp, 1)}×`,
    met: Number.isFinite(tp) ? tp >= 5 : undefined,
  });
  const dxRerun = rerunOf(results, 'postgres', 'durable-x');
  const dbosRerun = rerunOf(results, 'postgres', 'DBOS');
  out.push({
    target: 'a re-run of a completed 100-step run faster than DBOS’s (Postgres)',
    measured:
      dxRerun !== undefined && dbosRerun !== undefined
        ? `${fixed(dxRerun)} ms vs ${fixed(dbosRerun)} ms (${fixed(dbosRerun / dxRerun, 1)}× faster)`
        : 'n/a',
    met: dxRerun !== undefined && dbosRerun !== undefined ? dxRerun < dbosRerun : undefined,
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
  return out;
};
