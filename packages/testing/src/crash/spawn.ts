import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ChildOutcome, ENV, OUTCOME_PREFIX, READY_LINE } from './protocol.ts';

/** The worker child from source (through tsx). */
export const SOURCE_CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
// The repository root: `--import tsx` resolves from the child's working directory.
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface SpawnOptions {
  /** The script to run: a `.ts` file runs through tsx, anything else (a bundle) with plain node. Default: the worker from source. */
  readonly file?: string | undefined;
  /** A child still running after this long is SIGKILLed and reported as an error (a hang is a finding). */
  readonly timeoutMs?: number;
  /** Every line the child prints on stdout, as it comes. */
  readonly onLine?: (line: string) => void;
}

export interface SpawnedChild {
  readonly label: string;
  readonly process: ChildProcess;
  /** Resolves when the child printed READY (barrier mode). */
  readonly ready: Promise<void>;
  /** Resolves when the child exited, with what it reported (or `killed` / `error`). */
  readonly outcome: Promise<ChildOutcome>;
  /** Releases a child waiting at the barrier; writes a line to its stdin. */
  go(line?: string): void;
  /** SIGKILL. */
  kill(): void;
}

/** Starts one child process (a worker unless `options.file` says otherwise), labelled for the ledger. */
export const spawnChild = (
  label: string,
  env: Readonly<Record<string, string>>,
  options: SpawnOptions = {},
): SpawnedChild => {
  const file = options.file ?? SOURCE_CHILD;
  const args = file.endsWith('.ts') ? ['--conditions=@td7x/source', '--import', 'tsx', file] : [file];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, [ENV.label]: label },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A child that died early makes go() write to a closed pipe: that EPIPE is not the test's failure.
  child.stdin.on('error', () => {});
  let stdout = '';
  let partial = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === READY_LINE) markReady();
      options.onLine?.(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let hung = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, options.timeoutMs);
  const outcome = new Promise<ChildOutcome>((resolve) => {
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(OUTCOME_PREFIX));
      if (line) {
        const reported = JSON.parse(line.slice(OUTCOME_PREFIX.length)) as ChildOutcome;
        return resolve(reported.kind === 'error' ? { ...reported, exitCode, stderr } : reported);
      }
      if (signal === 'SIGKILL' && !hung) return resolve({ kind: 'killed', label });
      const why = hung ? `hung for ${options.timeoutMs} ms` : `exited (${exitCode ?? signal})`;
      resolve({
        kind: 'error',
        label,
        type: 'untyped',
        error: `${why} without an outcome`,
        exitCode,
        stderr,
      });
    });
  });
  // A child that dies before READY must not leave a barrier waiting forever.
  void outcome.then(markReady);
  return {
    label,
    process: child,
    ready,
    outcome,
    go: (line = 'go') => child.stdin.write(`${line}\n`),
    kill: () => child.kill('SIGKILL'),
  };
};
