import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * The append-only record of effects: a line per step body or cleanup that actually executed,
 * written by the child BEFORE the body returns and outside anything durable-x controls.
 * `appendFileSync` makes each line one write(2) on an O_APPEND file, so a SIGKILL loses nothing
 * already written and concurrent children never interleave inside a line.
 */
export interface LedgerEntry {
  /** Which child wrote it (`attempt-1`, `racer-7`, …). */
  readonly child: string;
  readonly pid: number;
  readonly kind: 'step' | 'cleanup';
  readonly name: string;
  /** A step body's `idempotencyKey` (StepContext), as that body saw it. */
  readonly key?: string;
}

export const appendEffect = (file: string, entry: LedgerEntry): void => {
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
};

export const readLedger = (file: string): LedgerEntry[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as LedgerEntry)
    : [];

/** How many times each step body (or cleanup) ran, by name. */
export const countEffects = (
  entries: readonly LedgerEntry[],
  kind: LedgerEntry['kind'] = 'step',
): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const e of entries) if (e.kind === kind) counts[e.name] = (counts[e.name] ?? 0) + 1;
  return counts;
};
