import { listRuns, purgeRuns, type RunStatus, type Storage } from '@td7x/durable-x';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { progressOf } from '../output/progress.ts';
import { formatInstant } from '../output/time.ts';
import type { Context } from './context.ts';

export interface PurgeOptions {
  readonly olderThanMs: number;
  readonly statuses: readonly RunStatus[];
  readonly batch: number;
  readonly dryRun: boolean;
}

/** How many runs match, counted page by page (the bar's total, and `--dry-run`'s answer). */
const countMatching = async (
  storage: Storage,
  statuses: readonly RunStatus[],
  before: number,
): Promise<number> => {
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await listRuns(storage)({
      status: statuses,
      updatedBefore: before,
      limit: 10_000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    total += page.runs.length;
    cursor = page.next;
  } while (cursor !== undefined);
  return total;
};

/**
 * `durable-x purge --older-than 30d`: deletes runs of the given statuses (default completed)
 * last updated before the cutoff, in batches, through the core's `purgeRuns`. A run claimed
 * meanwhile is kept whole.
 */
export const purge = async (ctx: Context, options: PurgeOptions): Promise<ExitCode> => {
  const before = ctx.now() - options.olderThanMs;
  const matching = await countMatching(ctx.storage, options.statuses, before);
  if (options.dryRun) {
    if (ctx.out.json) ctx.out.data({ matching, before, statuses: options.statuses });
    else
      ctx.out.line(
        `${matching} run(s) ${options.statuses.join(' or ')} last updated before ${formatInstant(before)}`,
      );
    return EXIT.ok;
  }
  const progress = progressOf(ctx.out, 'purge', matching);
  // Each batch the core deletes moves the bar: the storage is watched, not changed.
  const watched: Storage = {
    ...ctx.storage,
    purge: async (query) => {
      const deleted = await ctx.storage.purge(query);
      progress.advance(deleted);
      return deleted;
    },
  };
  const purged = await purgeRuns(watched)({ statuses: options.statuses, before, batch: options.batch });
  progress.stop();
  if (ctx.out.json) ctx.out.data({ purged, before, statuses: options.statuses });
  else
    ctx.out.line(
      `purged ${purged} run(s) ${options.statuses.join(' or ')} last updated before ${formatInstant(before)}`,
    );
  return EXIT.ok;
};
