import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ChildOutcome, ENV, OUTCOME_PREFIX, READY_LINE } from './protocol.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
// The repository root: `--import tsx` resolves from the child's working directory.
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface SpawnedChild {
  readonly label: string;
  readonly process: ChildProcess;
  /** Resolves when the child printed READY (barrier mode). */
  readonly ready: Promise<void>;
  /** Resolves when the child exited, with what it reported (or `killed` / `error`). */
  readonly outcome: Promise<ChildOutcome>;
  /** Releases a child waiting at the barrier. */
  go(): void;
  kill(): void;
}

/** Starts one child running the reference workflow from source (no build needed). */
export const spawnChild = (label: string, env: Readonly<Record<string, string>>): SpawnedChild => {
  const child = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, [ENV.label]: label },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A child that died early makes go() write to a closed pipe: that EPIPE is not the test's failure.
  child.stdin.on('error', () => {});
  let stdout = '';
  let stderr = '';
  let killed = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.includes(READY_LINE)) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const outcome = new Promise<ChildOutcome>((resolve) => {
    child.on('close', (exitCode, signal) => {
      if (killed && signal === 'SIGKILL') return resolve({ kind: 'killed', label });
      const line = stdout.split('\n').find((l) => l.startsWith(OUTCOME_PREFIX));
      if (line) {
        const reported = JSON.parse(line.slice(OUTCOME_PREFIX.length)) as ChildOutcome;
        return resolve(reported.kind === 'error' ? { ...reported, exitCode, stderr } : reported);
      }
      resolve({
        kind: 'error',
        label,
        error: `exited (${exitCode ?? signal}) without an outcome`,
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
    go: () => child.stdin.write('go\n'),
    kill: () => {
      killed = true;
      child.kill('SIGKILL');
    },
  };
};
