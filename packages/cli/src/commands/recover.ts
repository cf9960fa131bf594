import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CleanupRegistry,
  describeError,
  findAbandoned,
  type RecoverReport,
  type RunHead,
  recoverAbandoned,
} from '@td7x/durable-x';
import { usage } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { progressOf } from '../output/progress.ts';
import { leaseText, shortOwner } from '../output/run-format.ts';
import type { Context } from './context.ts';

export interface RecoverOptions {
  /** A module whose default export (or `cleanups` export) is the application's cleanup registry. */
  readonly cleanups?: string;
  /** Runs recovered per storage round of the core's `recoverAbandoned`. */
  readonly batch: number;
  readonly dryRun: boolean;
}

/** The application's cleanup runners: the CLI cannot undo anything without them. */
export const loadRegistry = async (path: string | undefined): Promise<CleanupRegistry> => {
  if (path === undefined) return {};
  let module: { default?: unknown; cleanups?: unknown };
  try {
    module = await import(pathToFileURL(resolve(path)).href);
  } catch (error) {
    throw usage(`--cleanups ${path}: cannot import it (${(error as Error).message})`);
  }
  const registry = module.cleanups ?? module.default;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    Object.values(registry).some((f) => typeof f !== 'function')
  ) {
    throw usage(
      `--cleanups ${path}: export a cleanup registry (an object of functions) as default or as "cleanups"`,
    );
  }
  return registry as CleanupRegistry;
};

const abandoned = async (ctx: Context): Promise<RunHead[]> => {
  const runs: RunHead[] = [];
  let cursor: string | undefined;
  do {
    const page = await findAbandoned(ctx.storage)({
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    runs.push(...page.runs);
    cursor = page.next;
  } while (cursor !== undefined);
  return runs;
};

/**
 * `durable-x recover`: runs left `running` whose lease expired (their process died) get their
 * pending cleanups run and are marked `compensated`, through the core's `recoverAbandoned`. The
 * cleanup runners come from `--cleanups`; a run whose cleanups have no runner is not compensated
 * and is reported (exit 4).
 */
export const recover = async (ctx: Context, options: RecoverOptions): Promise<ExitCode> => {
  const registry = await loadRegistry(options.cleanups);
  const found = await abandoned(ctx);
  if (options.dryRun) {
    if (ctx.out.json) ctx.out.data({ abandoned: found });
    else if (found.length === 0) ctx.out.line('no abandoned runs');
    else
      ctx.out.table(
        ['RUN', 'OWNER', 'LEASE'],
        found.map((r) => [r.runId, shortOwner(r.owner), leaseText(ctx.out, r, ctx.now())]),
      );
    return EXIT.ok;
  }
  const progress = progressOf(ctx.out, 'recover', found.length);
  const recovered = new Map<string, readonly string[]>();
  const failed = new Map<string, string>();
  // Rounds of the core's recoverAbandoned until a round lists no run not tried yet. A run that
  // cannot be recovered stays abandoned; its claim and release moved it to the back of the age
  // order, so the next round's page holds runs not tried yet, until every one has been.
  const tried = new Set<string>();
  for (;;) {
    const report: RecoverReport = await recoverAbandoned(ctx.storage, {
      onEvent: (event) => {
        if (event.type === 'run.loaded') progress.advance();
      },
    })(registry)({ limit: options.batch });
    for (const r of report.recovered) {
      recovered.set(r.runId, r.cleanupsRun);
      failed.delete(r.runId);
    }
    for (const f of report.failed) if (!recovered.has(f.runId)) failed.set(f.runId, describeError(f.error));
    const listed = [...report.recovered, ...report.failed].map((r) => r.runId);
    const fresh = listed.filter((runId) => !tried.has(runId));
    for (const runId of listed) tried.add(runId);
    if (fresh.length === 0) break;
  }
  progress.stop();
  const failures = [...failed].map(([runId, error]) => ({ runId, error }));
  if (ctx.out.json) {
    ctx.out.data({
      recovered: [...recovered].map(([runId, cleanupsRun]) => ({ runId, cleanupsRun })),
      failed: failures,
    });
  } else {
    ctx.out.line(
      `recovered ${recovered.size} run(s)${failures.length > 0 ? `, ${failures.length} left alone` : ''}`,
    );
    if (recovered.size > 0)
      ctx.out.table(
        ['RUN', 'CLEANUPS RUN'],
        [...recovered].map(([runId, names]) => [runId, names.join(', ') || '—']),
      );
    if (failures.length > 0)
      ctx.out.table(
        ['RUN', 'NOT RECOVERED'],
        failures.map((f) => [f.runId, ctx.out.color.red(f.error)]),
      );
  }
  return failures.length > 0 ? EXIT.refused : EXIT.ok;
};
