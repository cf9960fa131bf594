import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
export const WORKFLOW = fileURLToPath(new URL('./workflow.ts', import.meta.url));
export const STORAGE_MODULE = fileURLToPath(new URL('./storage-module.ts', import.meta.url));

export interface Worker {
  readonly child: ChildProcess;
  /** Resolves when the child prints a line starting with `prefix`; the rest of the line. */
  line(prefix: string): Promise<string>;
  /** Resolves with the exit code (or the signal name) and everything printed. */
  readonly exited: Promise<{ code: number | string; stdout: string; stderr: string }>;
}

/** Runs the workflow in a separate Node process, from source like the tests. */
export const startWorkflow = (env: Record<string, string | number>): Worker => {
  const child = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', WORKFLOW], {
    cwd: packageDir,
    env: { ...process.env, DX_STORAGE_MODULE: STORAGE_MODULE, ...stringify(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { prefix: string; resolve: (rest: string) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of [...waiters]) {
      const hit = stdout.split('\n').find((l) => l.startsWith(w.prefix));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit.slice(w.prefix.length).trim());
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code: code ?? signal ?? 'unknown', stdout, stderr })),
  );
  return {
    child,
    exited,
    line: (prefix) =>
      new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        void exited.then(({ code }) =>
          reject(new Error(`worker exited (${code}) before printing "${prefix}":\n${stderr}`)),
        );
      }),
  };
};

const stringify = (env: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
