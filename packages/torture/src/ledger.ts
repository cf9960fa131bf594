import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * What the torture workflow did, as seen from outside durable-x: one JSON line per fact, appended
 * with one write(2) before the process goes on, so a SIGKILL never loses a line already written.
 * - `step`: a step body started (`token` on `upload`: which risky effect it made);
 * - `cleanup`: the compensation ran for the effect `token`;
 * - `stored`: a putStep of this step was answered `written` (the record is on the server);
 * - `safe`: afterSafe resolved for `token`.
 */
export interface TortureEntry {
  readonly attempt: number;
  readonly kind: 'step' | 'cleanup' | 'stored' | 'safe';
  readonly name: string;
  readonly token?: string;
}

export const append = (file: string, entry: TortureEntry): void => {
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
};

export const readEntries = (file: string): TortureEntry[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as TortureEntry)
    : [];
