import { Presets, SingleBar } from 'cli-progress';
import type { Output } from './output.ts';

export interface Progress {
  /** Grow the total (when it is learnt page by page). */
  total(n: number): void;
  advance(n?: number): void;
  stop(): void;
}

const silent: Progress = { total: () => {}, advance: () => {}, stop: () => {} };

/** A progress bar on stderr when it is a terminal; nothing otherwise (pipes, CI logs, `--json`). */
export const progressOf = (out: Output, label: string, total = 0): Progress => {
  if (!out.interactive) return silent;
  const bar = new SingleBar(
    {
      format: `${label} {bar} {value}/{total} {percentage}% | {eta_formatted}`,
      stream: out.stderr as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  let known = total;
  bar.start(known, 0);
  return {
    total: (n) => {
      known = n;
      bar.setTotal(n);
    },
    advance: (n = 1) => bar.increment(n),
    stop: () => bar.stop(),
  };
};
