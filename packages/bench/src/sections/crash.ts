import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { interleaved, median, nowMs } from '../stats.ts';
import { freshRunId } from '../workflow.ts';

const CHILD = fileURLToPath(new URL('../children/crash-child.ts', import.meta.url));
const EXEC_ARGV = ['--conditions=@td7x/source', '--import', 'tsx', '--no-deprecation'];

export type CrashVariant = {
  readonly label: string;
  readonly lib: 'dx' | 'dbos';
  readonly mode: 'lease' | 'release';
};

export const CRASH_VARIANTS: readonly CrashVariant[] = [
  { label: 'durable-x, retry waits out the lease (1 s)', lib: 'dx', mode: 'lease' },
  { label: 'durable-x, supervisor releases the dead lease', lib: 'dx', mode: 'release' },
  { label: 'DBOS Transact 5.3 (launch recovers)', lib: 'dbos', mode: 'lease' },
];

export interface CrashRow {
  readonly variant: string;
  /** New process spawned → result received, median. */
  readonly recoveryMs: number;
  /** Of which: from the process's own start until the library was imported (its clock), median. */
  readonly startupMs: number;
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

/** One crash: first process killed in step 50's body, then a new process until the result. */
const crashOnce = async (
  v: CrashVariant,
): Promise<{ ms: number; startup: number; bodies: number; result: unknown }> => {
  const runId = freshRunId(`crash-${v.lib}`);
  const first = spawnChild([v.lib, 'first', runId, v.mode], (m, child) => {
    if ('hung' in m) child.kill('SIGKILL');
  });
  await first.exited;
  let bodies = 0;
  let result: unknown;
  let startup = Number.NaN;
  const started = nowMs();
  let ended = 0;
  const second = spawnChild([v.lib, 'resume', runId, v.mode], (m) => {
    if ('body' in m) bodies++;
    if ('ready' in m) startup = Number(m.ready);
    if ('result' in m) {
      ended = nowMs();
      result = m.result;
    }
  });
  const code = await second.exited;
  if (code !== 0 || result === undefined) throw new Error(`crash bench: ${v.label} resume exited ${code}`);
  return { ms: ended - started, startup, bodies, result };
};

export const measureCrash = async (rounds: number): Promise<CrashRow[]> => {
  type Samples = { ms: number[]; startup: number[]; bodies: number[]; correct: boolean };
  const samples = new Map<CrashVariant, Samples>(
    CRASH_VARIANTS.map((v) => [v, { ms: [], startup: [], bodies: [], correct: true }]),
  );
  // Round 0 warms tsx's compile cache for both libraries and is dropped.
  await interleaved(CRASH_VARIANTS, rounds + 1, async (v, round) => {
    const { ms, startup, bodies, result } = await crashOnce(v);
    if (round === 0) return;
    const s = samples.get(v);
    if (!s) return;
    s.ms.push(ms);
    s.startup.push(startup);
    s.bodies.push(bodies);
    if (result !== EXPECTED) s.correct = false;
  });
  return CRASH_VARIANTS.map((v) => {
    const s = samples.get(v) as Samples;
    return {
      variant: v.label,
      recoveryMs: median(s.ms),
      startupMs: median(s.startup),
      bodiesRerun: median(s.bodies),
      correct: s.correct,
    };
  });
};
