import { cancel as cancelRun, isDurableXError } from '@td7x/durable-x';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { statusText } from '../output/run-format.ts';
import type { Context } from './context.ts';

type Cancelled = { runId: string; status: 'cancelled' | 'completed' | 'not-found' };

/**
 * `durable-x cancel <run…>`: each run is marked cancelled (its owner, or its next load, runs the
 * pending cleanups). A completed run stays completed (exit 4); an unknown one is reported (exit 3).
 */
export const cancel = async (ctx: Context, runIds: readonly string[]): Promise<ExitCode> => {
  const results: Cancelled[] = [];
  for (const runId of runIds) {
    try {
      results.push(await cancelRun(ctx.storage)(runId));
    } catch (error) {
      if (!isDurableXError(error, 'RunNotFound')) throw error;
      results.push({ runId, status: 'not-found' });
    }
  }
  if (ctx.out.json) ctx.out.data({ runs: results });
  else
    for (const r of results) {
      const text =
        r.status === 'not-found'
          ? ctx.out.color.red('does not exist')
          : r.status === 'completed'
            ? `${statusText(ctx.out, 'completed')} already: not cancelled`
            : statusText(ctx.out, 'cancelled');
      ctx.out.line(`${r.runId}: ${text}`);
    }
  if (results.some((r) => r.status === 'not-found')) return EXIT.notFound;
  return results.some((r) => r.status === 'completed') ? EXIT.refused : EXIT.ok;
};
