import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CliError } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { progressOf } from '../output/progress.ts';
import { type ExportedRun, NotAnExportedRun, parseExportedRun } from '../transfer/format.ts';
import { type ImportOutcome, importRun } from '../transfer/import.ts';
import type { Context } from './context.ts';

export interface ImportOptions {
  /** A file of JSON lines; stdin when absent or `-`. */
  readonly input?: string;
  /** Runs written at once (each run's own writes stay in order). */
  readonly concurrency: number;
}

/** Reads every line first: a malformed line is refused before any run is written. */
const readRuns = async (input: string | undefined): Promise<ExportedRun[]> => {
  const stream = input === undefined || input === '-' ? process.stdin : createReadStream(input);
  const runs: ExportedRun[] = [];
  let lineNumber = 0;
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNumber++;
      if (line.trim() === '') continue;
      runs.push(parseExportedRun(line, lineNumber));
    }
  } catch (error) {
    if (error instanceof NotAnExportedRun) throw new CliError(EXIT.usage, error.message);
    if ((error as { code?: string }).code === 'ENOENT')
      throw new CliError(EXIT.usage, `no such file: ${input}`);
    throw error;
  }
  const seen = new Set<string>();
  for (const run of runs) {
    if (seen.has(run.run.runId))
      throw new CliError(EXIT.usage, `run ${JSON.stringify(run.run.runId)} appears twice`);
    seen.add(run.run.runId);
  }
  return runs;
};

const describeOutcome = (outcome: ImportOutcome): string => {
  switch (outcome.kind) {
    case 'imported':
      return outcome.differences.length === 0
        ? 'imported'
        : `imported; differs: ${outcome.differences.join('; ')}`;
    case 'exists':
      return 'not imported: a run of that id exists';
    case 'too-large':
      return `not imported: ${outcome.what} is ${outcome.bytes} bytes, over the storage's limit`;
    case 'interrupted':
      return `interrupted: ${outcome.reason}`;
  }
};

/**
 * `durable-x import [file]`: creates each exported run through the storage contract (see
 * transfer/import.ts). A run whose id exists is left alone; exit 4 when any run was not imported.
 */
export const importRuns = async (ctx: Context, options: ImportOptions): Promise<ExitCode> => {
  const runs = await readRuns(options.input);
  const progress = progressOf(ctx.out, 'import', runs.length);
  const outcomes: ImportOutcome[] = new Array(runs.length);
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const k = next++;
      outcomes[k] = await importRun(ctx.storage, runs[k] as ExportedRun, { now: ctx.now() });
      progress.advance();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, runs.length) }, worker));
  } finally {
    progress.stop();
  }
  const imported = outcomes.filter((o) => o.kind === 'imported').length;
  const left = outcomes.filter((o) => o.kind !== 'imported');
  if (ctx.out.json) ctx.out.data({ imported, runs: outcomes });
  else {
    ctx.out.line(`imported ${imported} of ${runs.length} run(s)`);
    const notable = outcomes.filter((o) => o.kind !== 'imported' || o.differences.length > 0);
    if (notable.length > 0)
      ctx.out.table(
        ['RUN', 'OUTCOME'],
        notable.map((o) => [o.runId, describeOutcome(o)]),
      );
  }
  return left.length > 0 ? EXIT.refused : EXIT.ok;
};
