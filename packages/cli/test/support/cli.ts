import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
const CWD = fileURLToPath(new URL('../..', import.meta.url));

/** The command line that runs `durable-x` from source, for a test that spawns it itself. */
export const CLI_COMMAND = {
  file: process.execPath,
  args: ['--conditions=@td7x/source', '--import', 'tsx', BIN],
  cwd: CWD,
} as const;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `durable-x` as its own process, from source (as every test here runs the packages), with
 * the given environment on top of this one, and stdin from `input`.
 */
export const cli = (
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(CLI_COMMAND.file, [...CLI_COMMAND.args, ...args], {
      cwd: CLI_COMMAND.cwd,
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr: stderr.replace(
          /^\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?to show where the warning was created\)\n/m,
          '',
        ),
      }),
    );
    child.stdin.end(options.input ?? '');
  });

/** `--json` output, parsed. */
export const json = <T = unknown>(result: CliResult): T => {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
};
