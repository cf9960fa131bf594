import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const REAPER = fileURLToPath(new URL('./reaper-process.mjs', import.meta.url));

/** What to stop if the owner dies: processes by pid file (checked to still run `program`), and directories. */
export interface ReapPlan {
  readonly pidFiles?: readonly { readonly file: string; readonly program: string }[];
  readonly remove?: readonly string[];
}

export interface Reaper {
  /** The owner stopped everything itself: the reaper leaves without touching anything. */
  dismiss(): void;
}

/**
 * A server a test starts outside its own process (a postmaster, a redis-server) survives the test
 * process when it dies before its `afterAll` (a crashed vitest worker, a SIGKILL, a timeout). A
 * reaper is a detached process watching a pipe only this process holds: when this process is gone
 * without having dismissed it, it kills what `plan` names and removes its directories.
 */
export const startReaper = (plan: ReapPlan): Reaper => {
  const reaper = spawn(process.execPath, [REAPER, JSON.stringify(plan)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  reaper.unref();
  // The pipe must not keep this process alive either: the reaper exists for when it ends.
  (reaper.stdin as unknown as Socket).unref();
  reaper.stdin?.on('error', () => {});
  return {
    dismiss: () => {
      reaper.stdin?.end('dismiss\n');
    },
  };
};
