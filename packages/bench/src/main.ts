/**
 * `pnpm bench`: per-step overhead against each backend's floor, resume cost, crash recovery,
 * throughput and peak memory, side by side with DBOS Transact on the same durable Postgres.
 * Prints a table per backend and regenerates docs/benchmarks.md and docs/benchmarks.svg.
 *
 * Environment: TEST_POSTGRES_URL (durable settings!), TEST_REDIS_URL, TEST_S3_* (see
 * scripts/bench.sh); BENCH_BACKENDS="sqlite postgres" to run a subset, BENCH_SKIP="crash memory",
 * BENCH_NO_WRITE=1 to print without touching docs/. BENCH_ONLY=crash measures the crash section
 * alone and puts it into the figures of the last full run (docs/benchmarks.json), regenerating the docs;
 * BENCH_ONLY=docs regenerates the docs from docs/benchmarks.json, measuring nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BACKENDS, type BackendName, openBackend, recreateDatabase } from './backends.ts';
import { configureDbos, DBOS } from './dbos.ts';
import { benchmarksMarkdown } from './report/markdown.ts';
import {
  backendSection,
  coreCpuTable,
  crashTable,
  memoryTable,
  scalingTable,
  targetsTable,
} from './report/sections.ts';
import { chartSvg } from './report/svg.ts';
import type { BackendResults, Results } from './results.ts';
import { type CoreCpu, measureCoreCpu } from './sections/core-cpu.ts';
import { CRASH_BACKENDS, type CrashRow, measureCrash } from './sections/crash.ts';
import { type MemoryRow, measureMemory } from './sections/memory.ts';
import { measureRerun } from './sections/rerun.ts';
import { measureResume } from './sections/resume.ts';
import { measureScaling, type ScalingRow } from './sections/scaling.ts';
import { measureStepOverhead } from './sections/step-overhead.ts';
import { measureThroughput } from './sections/throughput.ts';
import { DBOS_DATABASE, DX_DATABASE, fsyncPostgresUrl, postgresUrl, withDatabase } from './services.ts';

const list = (name: string): string[] | undefined => process.env[name]?.split(/[\s,]+/).filter(Boolean);
const chosen = (list('BENCH_BACKENDS') ?? [...BACKENDS]) as BackendName[];
const skip = new Set(list('BENCH_SKIP') ?? []);
const only = process.env.BENCH_ONLY;
const docs = (file: string) => fileURLToPath(new URL(`../../../docs/${file}`, import.meta.url));
const log = (text: string) => process.stdout.write(`${text}\n`);

/** Rounds per backend (step overhead, resume): S3 requests cost ~10 ms each, so it gets fewer. */
const ROUNDS: Record<BackendName, number> = {
  memory: 5,
  sqlite: 8,
  'sqlite-fsync': 4,
  postgres: 8,
  'postgres-fsync': 4,
  redis: 8,
  s3: 2,
};

const benchBackend = async (name: BackendName, withDbos: boolean): Promise<BackendResults> => {
  const backend = await openBackend(name);
  try {
    const rounds = ROUNDS[name];
    log(`\n[${name}] per-step overhead…`);
    const steps = await measureStepOverhead(backend, { steps: 100, rounds, withDbos });
    log(`[${name}] resume…`);
    const resume = skip.has('resume') ? [] : await measureResume(backend, { sizes: [10, 100, 1000], rounds });
    log(`[${name}] re-run of a completed run…`);
    const rerun =
      skip.has('rerun') || name === 'memory'
        ? []
        : await measureRerun(backend, { steps: 100, rounds: rounds * 3, withDbos });
    log(`[${name}] throughput…`);
    const throughput = skip.has('throughput')
      ? []
      : await measureThroughput(backend, {
          steps: 10,
          concurrencies: [1, 16],
          perWorker: (c) => (name === 's3' ? (c === 1 ? 5 : 1) : c === 1 ? 20 : 4),
          rounds: name === 's3' ? 2 : 3,
          withDbos,
        });
    const result = {
      backend: name,
      settings: backend.settings,
      ...(backend.commitMs === undefined ? {} : { commitMs: backend.commitMs }),
      steps,
      resume,
      rerun,
      throughput,
    };
    log(`\n${backendSection(result, '##')}`);
    return result;
  } finally {
    await backend.close();
  }
};

const machineOf = (started: number, command: string) => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  command,
  seconds: (performance.now() - started) / 1000,
});

/** Crash rounds: each is two fresh processes per variant, and an fsync-bound disk is noisy. */
const CRASH_ROUNDS = 11;

const crashBackends = () => CRASH_BACKENDS.filter((b) => chosen.includes(b));

const measureCrashSection = async (): Promise<CrashRow[]> => {
  const backends = crashBackends();
  if (backends.length === 0 || skip.has('crash')) return [];
  if (backends.includes('postgres')) await recreateDatabase(postgresUrl(), DBOS_DATABASE);
  log(`\n[crash] killed at step 50 of 100, then a new process at once (${backends.join(', ')})…`);
  return measureCrash(backends, CRASH_ROUNDS);
};

const write = (results: Results) => {
  if (process.env.BENCH_NO_WRITE === '1') return;
  writeFileSync(docs('benchmarks.md'), benchmarksMarkdown(results, NOTES));
  writeFileSync(docs('benchmarks.svg'), chartSvg(results));
  writeFileSync(docs('benchmarks.json'), `${JSON.stringify(results, null, 2)}\n`);
  log('wrote docs/benchmarks.md, docs/benchmarks.svg, docs/benchmarks.json');
};

/** The crash section alone, put into the figures of the last full run. */
const crashOnly = async () => {
  const started = performance.now();
  if (chosen.includes('postgres')) await recreateDatabase(postgresUrl(), DX_DATABASE);
  const crash = await measureCrashSection();
  const previous: Results = existsSync(docs('benchmarks.json'))
    ? (JSON.parse(readFileSync(docs('benchmarks.json'), 'utf8')) as Results)
    : { machine: machineOf(started, 'pnpm bench'), backends: [], crash: [], memory: [] };
  const results: Results = {
    ...previous,
    crash,
    crashMachine: machineOf(started, 'BENCH_ONLY=crash pnpm bench'),
  };
  log(`\n## Crash recovery\n\n${crashTable(results)}`);
  log(`\n## Targets\n\n${targetsTable(results)}\n`);
  write(results);
};

const main = async () => {
  const started = performance.now();
  const usesPostgres = chosen.includes('postgres');
  if (chosen.includes('postgres-fsync')) await recreateDatabase(fsyncPostgresUrl(), DX_DATABASE);
  if (usesPostgres) {
    await recreateDatabase(postgresUrl(), DX_DATABASE);
    await recreateDatabase(postgresUrl(), DBOS_DATABASE);
    configureDbos(withDatabase(postgresUrl(), DBOS_DATABASE));
    await DBOS.launch();
  }
  let coreCpu: CoreCpu | undefined;
  if (!skip.has('cpu')) {
    log('\n[core CPU] memory storage…');
    coreCpu = await measureCoreCpu({ steps: 1000, rounds: 15 });
  }
  const backends: BackendResults[] = [];
  try {
    for (const name of chosen) backends.push(await benchBackend(name, name === 'postgres'));
  } finally {
    if (usesPostgres) await DBOS.shutdown();
  }
  const crash = await measureCrashSection();
  let memory: MemoryRow[] = [];
  if (!skip.has('memory')) {
    // In parallel: each child measures only its own process, and this saves minutes.
    log('\n[memory] 10 000 steps, each variant in its own fresh process…');
    const jobs = chosen
      .filter((n) => n !== 's3' && !n.endsWith('-fsync'))
      .map((name) => measureMemory(`durable-x on ${name}`, name, 10_000));
    if (usesPostgres) jobs.push(measureMemory('DBOS Transact 5.3 on postgres', 'dbos', 10_000));
    memory = await Promise.all(jobs);
  }
  let scaling: ScalingRow[] = [];
  if (!skip.has('scaling')) {
    const backends = (['sqlite', 'postgres', 'redis'] as const).filter((b) => chosen.includes(b));
    scaling = await measureScaling({ runs: 1_000_000, sleepers: 100_000, backends, log });
  }
  const results: Results = {
    machine: machineOf(started, 'pnpm bench'),
    backends,
    ...(coreCpu === undefined ? {} : { coreCpu }),
    crash,
    memory,
    scaling,
  };
  if (coreCpu) log(`\n## Core CPU\n\n${coreCpuTable(results)}`);
  if (crash.length > 0) log(`\n## Crash recovery\n\n${crashTable(results)}`);
  if (memory.length > 0) log(`\n## Peak memory\n\n${memoryTable(results)}`);
  if (scaling.length > 0) log(`\n## Cost grows with the work\n\n${scalingTable(results)}`);
  log(`\n## Targets\n\n${targetsTable(results)}\n`);
  write(results);
};

const NOTES: readonly string[] = [
  'Per-step time is measured around each awaited step call inside the workflow, for every variant (the floor: around each raw write). The floor of record is the first floor row of each backend: on Postgres the prepared INSERT, since the adapter prepares its statements too (the unprepared INSERT is the row below it).',
  '"adapter putStep alone" is the step write: the adapter\'s fenced insert-if-absent, called directly, without the core. "durable-x" adds the core: the memo key (canonical text + SHA-256), the codec, the fence bookkeeping, the events.',
  '"requests / workflow" counts backend requests at the driver seam (SQL statements through the pg execute function, Redis scripts through the command interface, HTTP requests through an S3Client middleware; SQLite and memory: storage calls, each one transaction) for load + 100 steps + complete.',
  'Resume seeds the run once, releases it (a failed attempt), then loads it again each round: a takeover, as a retry after a crash does. Its requests include the replay of every memoized step (none expected).',
  "Throughput at concurrency 16: durable-x groups the step writes of runs that are ready in the same tick into one `putSteps` (one statement, transaction or script for the group, each write fenced and answered on its own), with one group in flight per storage; load and complete stay one request each per run. Where a commit waits for the disk and the driver is synchronous (SQLite), the group shares one fsync: the gain is large. Where commits are nearly free (a tmpfs), or where the server already shares one WAL flush among concurrent commits (Postgres group commit), the naive engine's one INSERT per step is cheaper than durable-x's claim + grouped steps + finish per workflow: during development, a 10-step workflow cost the client ~0.9 ms of CPU against ~0.4 ms for the naive engine at concurrency 16 on Postgres, mostly the pg driver and socket writes of the claim and the finish (the core's own part ~75 µs per workflow, profiled with --cpu-prof), and the claim function ~0.17 ms of server time for a new run against ~0.03 ms for an INSERT.",
  "The core's CPU per replayed step is bounded below by the memo key (a native SHA-256 of the canonical input, ~0.25–0.4 µs here) and JSON.parse of the output: the same work by hand with an await, on this machine under load, measured ~1.0 µs.",
  "Crash recovery, where durable-x spends its time after imports beyond the naive engine (instrumented runs, quiet machine): its busy claim and the liveness check (~3 ms on SQLite, ~11 ms on Postgres, a fresh connection included, as the naive engine's first query), the conditional takeover (1–3 ms), the replay of 50 memoized steps (~2 ms), then each new step: a fenced transaction (SQLite: BEGIN IMMEDIATE, fence, INSERT, COMMIT; Postgres: one statement that locks the run's row) and the core's first-run JavaScript, ~1.4× the naive INSERT. When commits are slow (a busy disk) the ratio falls towards 1; on a quiet machine the fixed part weighs more.",
  'Crash recovery: the new process calls `load(storage, { liveness: sameHostLiveness() })` with the default 30 s lease. Its first claim meets the killed owner\'s live lease; the check reads /proc, finds the owner\'s pid gone, and a claim that succeeds only from that owner takes the run over (two claims in all). Without the check it would answer `RunBusy` until the lease ran out (30 s). DBOS recovers on `launch` because its executor ID ("local") is assumed dead when a process starts under it.',
  'DBOS Transact runs in the bench process (launched once, its own database on the tmpfs Postgres) for per-step, re-run and throughput figures, and in child processes (same executor ID "local") for crash recovery and memory. Its re-run starts the workflow again under its id, which answers the recorded result.',
];

/** The docs again from docs/benchmarks.json (after a change of the report or its notes), measuring nothing. */
const docsOnly = async () => write(JSON.parse(readFileSync(docs('benchmarks.json'), 'utf8')) as Results);

await (only === 'crash' ? crashOnly() : only === 'docs' ? docsOnly() : main());
process.exit(0);
