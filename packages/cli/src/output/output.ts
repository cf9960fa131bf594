import type { Writable } from 'node:stream';
import Table from 'cli-table3';
import pc from 'picocolors';
import { toJson } from './json.ts';

type Colors = ReturnType<typeof pc.createColors>;

/** Where a command writes: data to stdout (a table, or JSON with `--json`), progress and notes to stderr. */
export interface Output {
  readonly json: boolean;
  /** Colours for stdout: on only for a terminal (and never with NO_COLOR or `--json`). */
  readonly color: Colors;
  /** Whether stderr is a terminal that progress bars may draw on. */
  readonly interactive: boolean;
  readonly stderr: Writable;
  line(text?: string): void;
  note(text: string): void;
  data(value: unknown): void;
  table(head: readonly string[], rows: readonly (readonly string[])[]): void;
}

const ttyOf = (stream: Writable): boolean => (stream as { isTTY?: boolean }).isTTY === true;

export const outputOf = (options: {
  readonly json: boolean;
  readonly progress: boolean;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly env?: Readonly<Record<string, string | undefined>>;
}): Output => {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const colorful =
    !options.json &&
    !env.NO_COLOR &&
    (env.FORCE_COLOR !== undefined ? env.FORCE_COLOR !== '0' : ttyOf(stdout));
  const color = pc.createColors(colorful);
  return {
    json: options.json,
    color,
    interactive: options.progress && !options.json && ttyOf(stderr),
    stderr,
    line: (text = '') => void stdout.write(`${text}\n`),
    note: (text) => void stderr.write(`${text}\n`),
    data: (value) => void stdout.write(`${toJson(value, 2)}\n`),
    table: (head, rows) => {
      const table = new Table({
        head: head.map((h) => color.bold(h)),
        style: { head: [], border: [], compact: true },
      });
      table.push(...rows.map((row) => [...row]));
      stdout.write(`${table.toString()}\n`);
    },
  };
};
