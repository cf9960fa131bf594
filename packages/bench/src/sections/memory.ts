import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../children/memory-child.ts', import.meta.url));

export interface MemoryRow {
  readonly variant: string;
  readonly steps: number;
  /** Peak RSS above the RSS after setup (drivers loaded, connected), MiB. */
  readonly peakRssMiB: number;
  /** Heap still used after the run (after a GC, the run's checkpoint still referenced), MiB. */
  readonly heapRetainedMiB: number;
}

const MiB = 1024 * 1024;

export const measureMemory = (variant: string, target: string, steps: number): Promise<MemoryRow> =>
  new Promise((resolve, reject) => {
    const child = fork(CHILD, [target, String(steps)], {
      execArgv: ['--conditions=@td7x/source', '--import', 'tsx', '--no-deprecation', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: Record<string, number> | undefined;
    child.on('message', (m) => {
      report = m as Record<string, number>;
    });
    child.on('exit', (code) => {
      if (!report) return reject(new Error(`memory bench: ${variant} exited ${code} without a report`));
      resolve({
        variant,
        steps,
        peakRssMiB: ((report.peakRss ?? 0) - (report.baselineRss ?? 0)) / MiB,
        heapRetainedMiB: ((report.heapAfter ?? 0) - (report.heapBefore ?? 0)) / MiB,
      });
    });
  });
