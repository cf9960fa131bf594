import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * The append-only record of what really happened, written outside anything durable-x controls:
 * one JSON line per fact, each line one write(2) on an O_APPEND file (`appendFileSync`), so a
 * SIGKILL loses nothing already written and processes sharing the file never interleave inside a
 * line. The order of the lines is the order of the facts.
 */
export interface LedgerEntry {
  /** Who wrote it (`attempt-1`, `racer-7`, `housekeeper-2`, `campaign`). */
  readonly child: string;
  readonly pid: number;
  readonly kind: LedgerKind;
  /** The step, cleanup or signal name. */
  readonly name: string;
  /**
   * `step`: the execution id its record carries; `cleanup`: the upload execution it undoes;
   * `stored`: the execution id in the record read from the backend; `safe`: the upload kept.
   */
  readonly exec?: string;
  /** A step body's `idempotencyKey` (StepContext), as that body saw it. */
  readonly key?: string;
  /** `claim`: the owner token the claim asked for. */
  readonly owner?: string;
  /** What else is worth knowing: a cancel's answer, a signal's `accepted`, how a request was resent. */
  readonly detail?: string;
}

/**
 * - `step`, `cleanup`: a step body or a cleanup started (the effect);
 * - `safe`: afterSafe resolved for an upload;
 * - `stored`: the campaign read a step record straight from the backend, after an attempt ended;
 * - `signal`, `cancel`: an operator's call resolved (`detail`: its answer);
 * - `learnt-cancel`: this process got an answer saying the run is cancelled;
 * - `resent`: a storage request reached the backend twice (`detail`: by the driver or the wrapper);
 * - `claim`, `refused`: what a claim answered, a fenced write refused (`detail`), for reading a trial;
 * - `purged`: a purge deleted runs (`detail`: how many); `final`: the run as the campaign last read it.
 */
export type LedgerKind =
  | 'step'
  | 'cleanup'
  | 'safe'
  | 'stored'
  | 'signal'
  | 'cancel'
  | 'learnt-cancel'
  | 'resent'
  | 'claim'
  | 'refused'
  | 'purged'
  | 'final';

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
  kind: LedgerKind = 'step',
): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const e of entries) if (e.kind === kind) counts[e.name] = (counts[e.name] ?? 0) + 1;
  return counts;
};
