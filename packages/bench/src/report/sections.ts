import { type BackendResults, floorRatio, type Results, targets } from '../results.ts';
import { duration, fixed, table } from './table.ts';

export const stepTable = (b: BackendResults): string => {
  const floor = b.steps.rows.find((r) => r.variant.startsWith('floor'));
  return table(
    ['variant', 'median / step', 'p95 / step', 'median ÷ floor', 'p95 ÷ floor', 'requests / workflow'],
    b.steps.rows.map((r) => [
      r.variant,
      duration(r.medianMs),
      duration(r.p95Ms),
      floor ? `${fixed(r.medianMs / floor.medianMs)}×` : '—',
      floor ? `${fixed(r.p95Ms / floor.p95Ms)}×` : '—',
      r.roundTrips === undefined ? '—' : String(r.roundTrips),
    ]),
  );
};

export const resumeTable = (b: BackendResults): string =>
  table(
    ['finished steps', 'requests (load + replay)', 'median time'],
    b.resume.map((r) => [String(r.steps), String(r.roundTrips), duration(r.medianMs)]),
  );

export const rerunTable = (b: BackendResults): string =>
  table(
    ['variant', 'steps', 'median time'],
    (b.rerun ?? []).map((r) => [r.variant, String(r.steps), duration(r.medianMs)]),
  );

export const coreCpuTable = (results: Results): string =>
  table(
    ['variant', 'CPU per step (median)'],
    (results.coreCpu?.rows ?? []).map((r) => [r.variant, `${fixed(r.microseconds, 2)} µs`]),
  );

export const scalingTable = (results: Results): string =>
  table(
    ['area', 'measure', 'this run', 'beside', 'ratio'],
    (results.scaling ?? []).map((r) => [
      r.area,
      r.measure,
      r.value,
      r.reference,
      r.ratio === undefined ? '—' : `${fixed(r.ratio)}×`,
    ]),
  );

export const throughputTable = (b: BackendResults): string =>
  table(
    ['variant', 'concurrency', 'workflows / s (10 steps each)'],
    b.throughput.map((t) => [t.variant, String(t.concurrency), fixed(t.perSecond, 1)]),
  );

const dbosRequests = (b: BackendResults): string[] => {
  const dbos = b.steps.rows.find((r) => r.variant.startsWith('DBOS'));
  if (dbos?.roundTrips === undefined) return [];
  return [
    `DBOS sent ${dbos.roundTrips} SQL statements for one ${b.steps.steps}-step workflow, ${b.steps.dbosCommits ?? 'n/a'} of them COMMITs of explicit transactions (counted on the pooled clients it was given; a background poll may add a few); durable-x sends one statement per step, each its own implicit transaction.`,
    '',
  ];
};

export const backendSection = (b: BackendResults, level = '###'): string =>
  [
    `${level} ${b.backend}`,
    '',
    `Settings: ${b.settings}.${b.commitMs === undefined ? '' : ` One synchronous commit measured here: ${duration(b.commitMs)} (median; the same write with and without it).`}`,
    '',
    `Per-step wall time in a ${b.steps.steps}-step workflow (${b.steps.rounds} interleaved rounds after a warm-up; floor ratio ${fixed(floorRatio(b))}×):`,
    '',
    stepTable(b),
    '',
    ...dbosRequests(b),
    'Resume: load a run with N finished steps and replay every step (all memoized):',
    '',
    resumeTable(b),
    '',
    ...(b.rerun && b.rerun.length > 0
      ? ['Re-run of a completed run (a duplicate request answered from storage):', '', rerunTable(b), '']
      : []),
    'Throughput of independent 10-step workflows (durable-x groups the step writes of concurrent runs):',
    '',
    throughputTable(b),
    '',
  ].join('\n');

export const crashTable = (results: Results): string =>
  table(
    [
      'backend',
      'variant',
      'process start → result (median)',
      'of which start-up + imports',
      'imports → result',
      'step bodies re-run (ideal 50)',
      'result correct',
    ],
    results.crash.map((c) => [
      c.backend,
      c.variant,
      duration(c.recoveryMs),
      duration(c.startupMs),
      duration(c.afterImportsMs),
      fixed(c.bodiesRerun, 0),
      c.correct ? 'yes' : 'NO',
    ]),
  );

export const memoryTable = (results: Results): string =>
  table(
    ['variant', 'steps', 'peak RSS growth', 'heap held by the finished run'],
    results.memory.map((m) => [
      m.variant,
      String(m.steps),
      `${fixed(Math.max(0, m.peakRssMiB), 1)} MiB`,
      `${fixed(m.heapRetainedMiB, 1)} MiB`,
    ]),
  );

export const targetsTable = (results: Results): string =>
  table(
    ['target', 'this run', 'met'],
    targets(results).map((t) => [
      t.target,
      t.measured,
      t.met === undefined ? 'not measured' : t.met ? 'yes' : 'NO',
    ]),
  );
