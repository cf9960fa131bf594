import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, pgExecute } from '@td7x/durable-x-postgres';
import pg from 'pg';
import { createNaivePostgresTable } from '../naive.ts';
import { DX_DATABASE, postgresUrl, withDatabase } from '../services.ts';
import { interleaved, median, nowMs } from '../stats.ts';
import { freshRunId } from '../workflow.ts';

const CHILD = fileURLToPath(new URL('../children/crash-child.ts', import.meta.url));
const EXEC_ARGV = ['--conditions=@td7x/source', '--import', 'tsx', '--no-deprecation'];

export type CrashBackend = 'postgres' | 'sqlite';
export const CRASH_BACKENDS: readonly CrashBackend[] = ['postgres', 'sqlite'];

export type CrashVariant = {
  readonly label: string;
  readonly lib: 'dx' | 'naive' | 'dbos';
  readonly backend: CrashBackend;
};

export const DX_CRASH = 'durable-x, default options + sameHostLiveness';
export const NAIVE_CRASH = 'naive engine (one SELECT, one INSERT per step)';
export const DBOS_CRASH = 'DBOS Transact 5.3 (launch recovers)';

/** Per backend: durable-x, the naive engine on the same database, and DBOS where it runs (Postgres). */
export const crashVariants = (backends: readonly CrashBackend[]): CrashVariant[] =>
  backends.flatMap((backend) => [
    { label: DX_CRASH, lib: 'dx' as const, backend },
    { label: NAIVE_CRASH, lib: 'naive' as const, backend },
    ...(backend === 'postgres' ? [{ label: DBOS_CRASH, lib: 'dbos' as const, backend }] : []),
  ]);

export interface CrashRow {
  readonly backend: CrashBackend;
  readonly variant: string;
  /** New process spawned → result received, median. */
  readonly recoveryMs: number;
  /** Of which: from the process's own start until the library was imported (its clock), median. */
  readonly startupMs: number;
  /** Library imported → result: what the library controls, median. */
  readonly afterImportsMs: number;
  /** Step bodies the new process ran (ideal 50: the one in flight and the 49 never started). */
  readonly bodiesRerun: number;
  readonly correct: boolean;
}

const spawnChild = (args: string[], onMessage: (m: Record<string, unknown>, child: ChildProcess) => void) => {
  const child = fork(CHILD, args, { execArgv: EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m) => onMessage(m as Record<string, unknown>, child));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
};

const EXPECTED = (100 * 99) / 2;

/**
 * One crash: a first process killed in step 50's body, then a new process at once (no delay, no
 * shortened lease) until the result.
 */
const crashOnce = async (
  v: CrashVariant,
  sqliteFile: string,
): Promise<{ ms: number; startup: number; afterImports: number; bodies: number; result: unknown }> => {
  const runId = freshRunId(`crash-${v.lib}-${v.backend}`);
  const args = (phase: string) => [v.lib, phase, runId, v.backend, sqliteFile];
  const first = spawnChild(args('first'), (m, child) => {
    if ('hung' in m) child.kill('SIGKILL');
  });
  await first.exited;
  let bodies = 0;
  let result: unknown;
  let startup = Number.NaN;
  let at = Number.NaN;
  const started = nowMs();
  let ended = 0;
  const second = spawnChild(args('resume'), (m) => {
    if ('body' in m) bodies++;
    if ('ready' in m) startup = Number(m.ready);
    if ('result' in m) {
      ended = nowMs();
      result = m.result;
      at = Number(m.at);
    }
  });
  const code = await second.exited;
  if (code !== 0 || result === undefined)
    throw new Error(`crash bench: ${v.label} on ${v.backend}: resume exited ${code}`);
  return { ms: ended - started, startup, afterImports: at - startup, bodies, result };
};

export const measureCrash = async (
  backends: readonly CrashBackend[],
  rounds: number,
): Promise<CrashRow[]> => {
  type Samples = { ms: number[]; startup: number[]; after: number[]; bodies: number[]; correct: boolean };
  const variants = crashVariants(backends);
  const samples = new Map<CrashVariant, Samples>(
    variants.map((v) => [v, { ms: [], startup: [], after: [], bodies: [], correct: true }]),
  );
  const dir = mkdtempSync(join(tmpdir(), 'dx-bench-crash-'));
  const sqliteFile = join(dir, 'crash.db');
  if (backends.includes('postgres')) {
    // The adapter's tables and the naive engine's, as a deployment creates them (SQLite: on first use).
    const pool = new pg.Pool({ connectionString: withDatabase(postgresUrl(), DX_DATABASE), max: 1 });
    try {
      await migrate(pgExecute(pool));
      await createNaivePostgresTable(pool);
    } finally {
      await pool.end();
    }
  }
  try {
    // Round 0 warms tsx's compile cache for every library and is dropped.
    await interleaved(variants, rounds + 1, async (v, round) => {
      const { ms, startup, afterImports, bodies, result } = await crashOnce(v, sqliteFile);
      if (round === 0) return;
      const s = samples.get(v);
      if (!s) return;
      s.ms.push(ms);
      s.startup.push(startup);
      s.after.push(afterImports);
      s.bodies.push(bodies);
      if (result !== EXPECTED) s.correct = false;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return variants.map((v) => {
    const s = samples.get(v) as Samples;
    return {
      backend: v.backend,
      variant: v.label,
      recoveryMs: median(s.ms),
      startupMs: median(s.startup),
      afterImportsMs: median(s.after),
      bodiesRerun: median(s.bodies),
      correct: s.correct,
    };
  });
};
