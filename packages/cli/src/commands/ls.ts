import { describeRun, listRuns, type RunHead, type RunStatus } from '@td7x/durable-x';
import { leaseText, shortOwner, statusText } from '../output/run-format.ts';
import { formatSpan } from '../output/time.ts';
import { type Context, mapLimit } from './context.ts';

export interface LsOptions {
  readonly statuses?: readonly RunStatus[];
  /** Only runs last updated at least this long ago. */
  readonly olderThanMs?: number;
  readonly limit: number;
  readonly cursor?: string;
  /** Every page, not just one. */
  readonly all: boolean;
}

export interface ListedRun extends RunHead {
  /** Memoized steps (the core's own records — signals, sleeps, attempts — not counted). */
  readonly steps: number;
  readonly pendingCleanups: number;
}

/** Reads of run details in flight at once: the list gives heads only. */
const DETAIL_CONCURRENCY = 8;

const withCounts = async (ctx: Context, heads: readonly RunHead[]): Promise<ListedRun[]> =>
  mapLimit(heads, DETAIL_CONCURRENCY, async (head) => {
    const described = await describeRun(ctx.storage)(head.runId);
    // Purged between the list and the read: shown as listed, with nothing in it.
    return {
      ...head,
      steps: described?.steps.filter((s) => s.state === 'recorded').length ?? 0,
      pendingCleanups: described?.cleanups.length ?? 0,
    };
  });

/** `durable-x ls`: run heads by status and age, oldest first, a page at a time. */
export const ls = async (ctx: Context, options: LsOptions): Promise<void> => {
  const runs: ListedRun[] = [];
  let cursor = options.cursor;
  let next: string | undefined;
  const updatedBefore = options.olderThanMs === undefined ? undefined : ctx.now() - options.olderThanMs;
  do {
    const page = await listRuns(ctx.storage)({
      ...(options.statuses === undefined ? {} : { status: options.statuses }),
      ...(updatedBefore === undefined ? {} : { updatedBefore }),
      limit: options.limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    runs.push(...(await withCounts(ctx, page.runs)));
    next = page.next;
    cursor = next;
  } while (options.all && next !== undefined);

  if (ctx.out.json) return ctx.out.data({ runs, ...(next === undefined ? {} : { next }) });
  const now = ctx.now();
  if (runs.length === 0) ctx.out.line('no runs');
  else
    ctx.out.table(
      ['RUN', 'STATUS', 'STEPS', 'CLEANUPS', 'ATTEMPT', 'OWNER', 'LEASE', 'AGE'],
      runs.map((run) => [
        run.runId,
        statusText(ctx.out, run.status),
        String(run.steps),
        run.pendingCleanups === 0 ? '0' : ctx.out.color.yellow(String(run.pendingCleanups)),
        String(run.attempt),
        shortOwner(run.owner),
        leaseText(ctx.out, run, now),
        formatSpan(now - run.updatedAt),
      ]),
    );
  if (next !== undefined) ctx.out.note(`more runs: --cursor '${next.replaceAll("'", "'\\''")}'`);
};
