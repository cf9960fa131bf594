import { inspectRun, type RunHead } from '@td7x/durable-x';
import { CliError } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { statusText } from '../output/run-format.ts';
import type { Context } from './context.ts';

export interface WaitOptions {
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  /** Resolves after `ms` (tests and the real command use timers). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const ENDED = new Set(['completed', 'failed', 'compensated', 'cancelled']);

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `durable-x wait <run>`: reads the run every interval until it completes (exit 0) or ends failed,
 * compensated or cancelled (exit 4); running and suspended runs are waited for. Exit 5 past
 * `--timeout`, 3 for an unknown run.
 */
export const wait = async (ctx: Context, runId: string, options: WaitOptions): Promise<ExitCode> => {
  const sleep = options.sleep ?? pause;
  const deadline = options.timeoutMs === undefined ? undefined : ctx.now() + options.timeoutMs;
  let last: RunHead | undefined;
  for (;;) {
    const snapshot = await inspectRun(ctx.storage)(runId);
    if (!snapshot) throw new CliError(EXIT.notFound, `run ${JSON.stringify(runId)} does not exist`);
    const head = snapshot.run;
    if (!ctx.out.json && last?.status !== head.status)
      ctx.out.note(`${runId}: ${statusText(ctx.out, head.status)}`);
    last = head;
    if (ENDED.has(head.status)) break;
    if (deadline !== undefined && ctx.now() >= deadline) {
      if (ctx.out.json) ctx.out.data({ run: head, timedOut: true });
      else ctx.out.line(`${runId} still ${head.status} after the timeout`);
      return EXIT.timeout;
    }
    await sleep(
      deadline === undefined
        ? options.intervalMs
        : Math.min(options.intervalMs, Math.max(0, deadline - ctx.now())),
    );
  }
  if (ctx.out.json) ctx.out.data({ run: last, timedOut: false });
  else ctx.out.line(`${runId} ${statusText(ctx.out, last.status)}`);
  return last.status === 'completed' ? EXIT.ok : EXIT.refused;
};
