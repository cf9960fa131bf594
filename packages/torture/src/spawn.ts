import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type AttemptOutcome, type ChildReport, OUTCOME_PREFIX } from './protocol.ts';

/** The child from source (through tsx), unless a bundled one (see bundle.ts) is given. */
export const SOURCE_CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
// The repository root: `--import tsx` resolves from the child's working directory.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs one attempt in its own process (from source) and tells how it ended. */
export const runAttempt = (
  env: Readonly<Record<string, string>>,
  childFile = SOURCE_CHILD,
  timeoutMs = 60_000,
): Promise<AttemptOutcome> =>
  new Promise((resolve) => {
    const args = childFile.endsWith('.ts')
      ? ['--conditions=@td7x/source', '--import', 'tsx', childFile]
      : [childFile];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // A hung attempt is a finding ("stuck"), not a reason to hang the campaign.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(OUTCOME_PREFIX));
      if (line) return resolve(JSON.parse(line.slice(OUTCOME_PREFIX.length)) as ChildReport);
      if (signal === 'SIGKILL') return resolve({ kind: 'killed' });
      const why = signal === 'SIGTERM' ? `hung for ${timeoutMs} ms` : `exited ${code ?? signal}`;
      resolve({ kind: 'lost', detail: `${why} without an outcome; stderr: ${stderr.slice(-2000)}` });
    });
  });
