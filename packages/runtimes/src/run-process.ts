import { spawn } from 'node:child_process';

/** Runs a command with this process's output (`quiet`: its errors only); resolves whether it exited 0. */
export const runProcess = (
  binary: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly quiet?: boolean },
): Promise<boolean> =>
  new Promise((resolve) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit'],
    });
    child.on('error', (error) => {
      console.error(error);
      resolve(false);
    });
    child.on('close', (code) => resolve(code === 0));
  });
