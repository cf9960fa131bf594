import { RUN_STATUSES, type RunStatus } from '@td7x/durable-x';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { cancel } from './commands/cancel.ts';
import type { Context } from './commands/context.ts';
import { exportRuns } from './commands/export.ts';
import { importRuns } from './commands/import.ts';
import { ls } from './commands/ls.ts';
import { purge } from './commands/purge.ts';
import { recover } from './commands/recover.ts';
import { show } from './commands/show.ts';
import { parsePayload, signal } from './commands/signal.ts';
import { wait } from './commands/wait.ts';
import { exitOf, usage } from './errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { outputOf } from './output/output.ts';
import { parseDuration } from './output/time.ts';
import { openStorage } from './target/open.ts';
import { parseTarget } from './target/parse.ts';

interface GlobalOptions {
  readonly storage?: string;
  readonly json?: boolean;
  readonly progress: boolean;
  readonly color: boolean;
}

const EXIT_HELP = `
Storage URLs (--storage, or DURABLE_X_STORAGE):
  postgres://user:pass@host/db[?schema=…&tablePrefix=…]
  redis://host:6379/0[?prefix=…&buckets=…]      rediss:// for TLS
  sqlite:path/to/runs.db[?tablePrefix=…]        or a plain file path
  s3://bucket/prefix/[?pathStyle=false]        credentials, region, endpoint from the AWS environment
  windmill:[//datatable][?schema=…&tablePrefix=…] BASE_INTERNAL_URL, WM_TOKEN, WM_WORKSPACE from the environment

Exit codes:
  0  done as asked
  1  the storage failed, or something unexpected happened
  2  bad usage: unknown command or option, malformed URL, duration, JSON or run id
  3  a run named does not exist
  4  done, but not as hoped: wait saw the run fail, compensate or be cancelled; a signal was
     not accepted; cancel found the run completed; recover or import left runs out
  5  wait --timeout ran out`;

const statusList = (text: string, previous: RunStatus[] = []): RunStatus[] => {
  const statuses = text.split(',').map((s) => s.trim());
  for (const s of statuses) {
    if (!RUN_STATUSES.includes(s as RunStatus)) {
      throw new InvalidArgumentError(`expected statuses among ${RUN_STATUSES.join(', ')}`);
    }
  }
  return [...previous, ...(statuses as RunStatus[])];
};

const positiveInt = (text: string): number => {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError('expected a positive integer');
  return Number(text);
};

const duration = (name: string) => (text: string) => {
  try {
    return parseDuration(name, text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

export interface MainIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Runs the command line `argv` (as `process.argv`) and resolves the exit code; never throws. */
export const main = async (argv: readonly string[], io: MainIo = {}): Promise<ExitCode> => {
  const stderr = (io.stderr ?? process.stderr) as NodeJS.WritableStream;
  let code: ExitCode = EXIT.ok;

  /** Opens the storage, runs the command, closes the storage; the command's code is the exit code. */
  const runWith =
    (create: boolean, prepare: (command: Command) => (ctx: Context) => Promise<ExitCode>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals<GlobalOptions>();
      // Arguments are checked, and the URL read, before anything is opened.
      const body = prepare(command);
      const out = outputOf({
        json: globals.json === true,
        progress: globals.progress,
        ...(io.stdout ? { stdout: io.stdout as never } : {}),
        ...(io.stderr ? { stderr: io.stderr as never } : {}),
        env: globals.color ? (io.env ?? process.env) : { ...(io.env ?? process.env), NO_COLOR: '1' },
      });
      const target = parseTarget(globals.storage ?? '');
      const opened = await openStorage(target, { create, ...(io.env ? { env: io.env } : {}) });
      try {
        code = await body({ storage: opened.storage, out, now: Date.now });
      } finally {
        await opened.close();
      }
    };

  const program = new Command()
    .name('durable-x')
    .description('See and repair durable-x runs on any backend.')
    .addOption(new Option('-s, --storage <url>', 'where the runs are (see below)').env('DURABLE_X_STORAGE'))
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--no-progress', 'no progress bars (they are drawn only on a terminal anyway)')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .showHelpAfterError('(durable-x --help for usage)')
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void (io.stdout ?? process.stdout).write(text),
      writeErr: (text) => void stderr.write(text),
    });

  program
    .command('ls')
    .description(
      'list runs, oldest first: id, status, steps, pending cleanups, attempt, owner and lease, age',
    )
    .option('--status <statuses>', 'only these statuses (comma-separated, repeatable)', statusList)
    .option(
      '--older-than <duration>',
      'only runs last updated at least this long ago (90s, 15m, 1h30m, 7d)',
      duration('--older-than'),
    )
    .option('--limit <n>', 'runs per page (1–10000)', positiveInt, 50)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--all', 'every page, not just one')
    .action(
      runWith(false, (cmd) => async (ctx) => {
        const o = cmd.opts<{
          status?: RunStatus[];
          olderThan?: number;
          limit: number;
          cursor?: string;
          all?: boolean;
        }>();
        await ls(ctx, {
          ...(o.status ? { statuses: o.status } : {}),
          ...(o.olderThan === undefined ? {} : { olderThanMs: o.olderThan }),
          limit: o.limit,
          ...(o.cursor === undefined ? {} : { cursor: o.cursor }),
          all: o.all === true,
        });
        return EXIT.ok;
      }),
    );

  program
    .command('show')
    .description(
      'one run: steps in order with attempts, output size and errors; pending cleanups; sleeps, waits, signals; version',
    )
    .argument('<run>', 'run id')
    .action(
      runWith(false, (cmd) => async (ctx) => {
        await show(ctx, cmd.args[0] as string);
        return EXIT.ok;
      }),
    );

  program
    .command('cancel')
    .description(
      'cancel runs: their owner (or next load) runs the pending cleanups; they never run a step again',
    )
    .argument('<run...>', 'run ids')
    .action(runWith(false, (cmd) => async (ctx) => cancel(ctx, cmd.args)));

  program
    .command('signal')
    .description('send a signal to a run (the first of a name wins); wakes it if it waits for it')
    .argument('<run>', 'run id')
    .argument('<name>', 'signal name')
    .argument('[json]', 'payload, as JSON (none: an undefined payload)')
    .action(
      runWith(false, (cmd) => {
        const payload = parsePayload(cmd.args[2]);
        return (ctx) => signal(ctx, cmd.args[0] as string, cmd.args[1] as string, payload);
      }),
    );

  program
    .command('wait')
    .description('wait until a run completes (exit 0) or ends failed, compensated or cancelled (exit 4)')
    .argument('<run>', 'run id')
    .option('--interval <duration>', 'how often to look', duration('--interval'), 1000)
    .option('--timeout <duration>', 'give up after this long (exit 5)', duration('--timeout'))
    .action(
      runWith(false, (cmd) => async (ctx) => {
        const o = cmd.opts<{ interval: number; timeout?: number }>();
        return wait(ctx, cmd.args[0] as string, {
          intervalMs: o.interval,
          ...(o.timeout === undefined ? {} : { timeoutMs: o.timeout }),
        });
      }),
    );

  program
    .command('recover')
    .description(
      'run the pending cleanups of abandoned runs (running, lease expired) and mark them compensated',
    )
    .option(
      '--cleanups <module>',
      "a module exporting the application's cleanup registry (default or `cleanups`)",
    )
    .option('--batch <n>', 'runs per round', positiveInt, 100)
    .option('--dry-run', 'only list the abandoned runs')
    .action(
      runWith(false, (cmd) => async (ctx) => {
        const o = cmd.opts<{ cleanups?: string; batch: number; dryRun?: boolean }>();
        return recover(ctx, {
          ...(o.cleanups ? { cleanups: o.cleanups } : {}),
          batch: o.batch,
          dryRun: o.dryRun === true,
        });
      }),
    );

  program
    .command('purge')
    .description('delete runs last updated before a cutoff (completed only, unless --status says more)')
    .requiredOption(
      '--older-than <duration>',
      'the age past which runs go (90s, 15m, 1h30m, 30d)',
      duration('--older-than'),
    )
    .option(
      '--status <statuses>',
      'statuses to purge (comma-separated, repeatable; default completed)',
      statusList,
    )
    .option('--batch <n>', 'runs deleted per storage call (1–10000)', positiveInt, 1000)
    .option('--dry-run', 'only count what would go')
    .action(
      runWith(false, (cmd) => {
        const o = cmd.opts<{ olderThan: number; status?: RunStatus[]; batch: number; dryRun?: boolean }>();
        if (o.batch > 10_000) throw usage('--batch: at most 10000');
        return (ctx) =>
          purge(ctx, {
            olderThanMs: o.olderThan,
            statuses: o.status ?? ['completed'],
            batch: o.batch,
            dryRun: o.dryRun === true,
          });
      }),
    );

  program
    .command('export')
    .description('write runs as JSON lines (one run a line, stored values byte for byte)')
    .argument('[run...]', 'only these runs (default: every run, or those matching the filters)')
    .option('--status <statuses>', 'only these statuses (comma-separated, repeatable)', statusList)
    .option(
      '--older-than <duration>',
      'only runs last updated at least this long ago',
      duration('--older-than'),
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      runWith(false, (cmd) => async (ctx) => {
        const o = cmd.opts<{ status?: RunStatus[]; olderThan?: number; output?: string }>();
        return exportRuns(ctx, {
          runIds: cmd.args,
          ...(o.status ? { statuses: o.status } : {}),
          ...(o.olderThan === undefined ? {} : { olderThanMs: o.olderThan }),
          ...(o.output === undefined ? {} : { output: o.output }),
        });
      }),
    );

  program
    .command('import')
    .description(
      'create the runs of an export in this storage (tables created if missing); existing run ids are left alone',
    )
    .argument('[file]', 'JSON lines from `export` (default: stdin)')
    .option('--concurrency <n>', 'runs written at once', positiveInt, 4)
    .action(
      runWith(true, (cmd) => async (ctx) => {
        const o = cmd.opts<{ concurrency: number }>();
        return importRuns(ctx, {
          ...(cmd.args[0] === undefined ? {} : { input: cmd.args[0] }),
          concurrency: o.concurrency,
        });
      }),
    );

  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version print and exit 0; every other parse error is bad usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { code: exitCode, message } = exitOf(error);
    stderr.write(`durable-x: ${message}\n`);
    return exitCode;
  }
};
