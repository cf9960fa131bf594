import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { inspectRun, listRuns, type RunStatus } from '@td7x/durable-x';
import { CliError } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { progressOf } from '../output/progress.ts';
import { exportedRun } from '../transfer/format.ts';
import { type Context, mapLimit } from './context.ts';

export interface ExportOptions {
  readonly runIds: readonly string[];
  readonly statuses?: readonly RunStatus[];
  readonly olderThanMs?: number;
  /** A file to write; stdout when absent. */
  readonly output?: string;
}

const PAGE = 200;
const READS_IN_FLIGHT = 8;

/**
 * Writes one line; resolves once the stream took it, rejects with the stream's error (the reader
 * of a pipe went away: EPIPE). Backpressure is the stream's: each write waits for the one before.
 */
const write = (stream: Writable, text: string): Promise<void> =>
  new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });

/** `durable-x export | head`: the reader had what it wanted. Not a failure, as for any Unix tool. */
const readerGone = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'EPIPE';

/**
 * `durable-x export`: every run (or the runs named, or those matching `--status` / `--older-than`)
 * as JSON lines, one run a line, everything stored for it byte for byte (see transfer/format.ts).
 */
export const exportRuns = async (ctx: Context, options: ExportOptions): Promise<ExitCode> => {
  const stream: Writable = options.output === undefined ? process.stdout : createWriteStream(options.output);
  // Errors reach the writes' callbacks; without a listener the 'error' event would crash the process.
  const ignore = () => {};
  stream.on('error', ignore);
  const progress = progressOf(ctx.out, 'export');
  let exported = 0;
  let missing = 0;
  const emit = async (runIds: readonly string[]) => {
    const snapshots = await mapLimit(runIds, READS_IN_FLIGHT, (runId) => inspectRun(ctx.storage)(runId));
    for (const [k, snapshot] of snapshots.entries()) {
      if (!snapshot) {
        missing++;
        if (options.runIds.length > 0) ctx.out.note(`run ${JSON.stringify(runIds[k])} does not exist`);
        continue;
      }
      await write(stream, `${JSON.stringify(exportedRun(snapshot))}\n`);
      exported++;
    }
    progress.advance(runIds.length);
  };
  const exportAll = async () => {
    if (options.runIds.length > 0) {
      progress.total(options.runIds.length);
      await emit(options.runIds);
    } else {
      const updatedBefore = options.olderThanMs === undefined ? undefined : ctx.now() - options.olderThanMs;
      let cursor: string | undefined;
      let listed = 0;
      do {
        const page = await listRuns(ctx.storage)({
          ...(options.statuses === undefined ? {} : { status: options.statuses }),
          ...(updatedBefore === undefined ? {} : { updatedBefore }),
          limit: PAGE,
          ...(cursor === undefined ? {} : { cursor }),
        });
        listed += page.runs.length;
        progress.total(listed);
        await emit(page.runs.map((r) => r.runId));
        cursor = page.next;
      } while (cursor !== undefined);
    }
  };
  try {
    try {
      await exportAll();
    } catch (error) {
      if (!readerGone(error)) throw error;
      return EXIT.ok;
    }
  } finally {
    progress.stop();
    if (options.output !== undefined) {
      stream.end();
      await finished(stream);
    }
    stream.off('error', ignore);
  }
  ctx.out.note(`exported ${exported} run(s)`);
  if (options.runIds.length > 0 && missing > 0) {
    throw new CliError(EXIT.notFound, `${missing} of the runs named do not exist`);
  }
  return EXIT.ok;
};
