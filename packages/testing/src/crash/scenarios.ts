import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type LedgerEntry, readLedger } from './ledger.ts';
import { type ChildOutcome, ENV, HANGING_LINE } from './protocol.ts';
import { type SpawnedChild, spawnChild } from './spawn.ts';
import type { ReferenceStep } from './workflow.ts';

export interface ScenarioOptions {
  /** Absolute path of the storage module (`.ts`, default export `async () => ({ storage, close })`). */
  readonly storageModule: string;
  /** Environment for the children: what the storage module reads (DX_SQLITE_FILE, a URL…). */
  readonly env: Readonly<Record<string, string>>;
  readonly runId: string;
  /**
   * Lease of every child, in ms; a resumer waits up to this long after a kill. Default 1500;
   * `default`: the core's own (30 s), as the quick start has it.
   */
  readonly leaseMs?: number | 'default';
  /** `host`: every child loads with `sameHostLiveness()` from `@td7x/durable-x/node`. */
  readonly liveness?: 'host';
  /** The ledger file; default a new temp file. */
  readonly ledger?: string;
}

export interface KillPoint {
  /** SIGKILL the child while this step's body runs: after its effect is in the ledger, before it is recorded. */
  readonly inStep: ReferenceStep;
}

export const newLedger = (): string => join(mkdtempSync(join(tmpdir(), 'dx-crash-')), 'ledger.jsonl');

/** Reads a ledger, and removes it with its folder when this harness made it (`given` undefined). */
const readAndRemove = (file: string, given: string | undefined): LedgerEntry[] => {
  const entries = readLedger(file);
  if (given === undefined) rmSync(dirname(file), { recursive: true, force: true });
  return entries;
};

const childEnv = (options: ScenarioOptions, ledger: string, extra: Record<string, string> = {}) => ({
  ...options.env,
  [ENV.storageModule]: options.storageModule,
  [ENV.runId]: options.runId,
  [ENV.ledger]: ledger,
  [ENV.leaseMs]: String(options.leaseMs ?? 1500),
  ...(options.liveness === undefined ? {} : { [ENV.liveness]: options.liveness }),
  ...extra,
});

/** Starts a child that hangs inside `inStep`; resolves once it printed that it got there. */
const hangingIn = async (label: string, env: Record<string, string>): Promise<SpawnedChild> => {
  let reached: () => void = () => {};
  const there = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const child = spawnChild(label, env, { onLine: (line) => line === HANGING_LINE && reached() });
  const ended = child.outcome.then((o) => {
    throw new Error(`crash harness: ${label} ended before its kill point: ${JSON.stringify(o)}`);
  });
  await Promise.race([there, ended]);
  return child;
};

/** One child runs the workflow to the end (a crash-free baseline, or a plain retry). */
export const runToCompletion = async (
  options: ScenarioOptions & { readonly label?: string },
): Promise<{ outcome: ChildOutcome; ledger: LedgerEntry[] }> => {
  const ledger = options.ledger ?? newLedger();
  const child = spawnChild(options.label ?? 'single', childEnv(options, ledger, { [ENV.waitForLease]: '1' }));
  const outcome = await child.outcome;
  return { outcome, ledger: readAndRemove(ledger, options.ledger) };
};

/**
 * Attempt 1 is SIGKILLed at `killWhen`; attempt 2 then resumes the same run (waiting for the dead
 * owner's lease to run out, as a real retry would, unless `resumerWaits` is false) and runs to the end.
 */
export const crashAndResume = async (
  options: ScenarioOptions & {
    readonly killWhen: KillPoint;
    /** Runs after attempt 1 is dead and before attempt 2 starts: inspect what the crash left. */
    readonly betweenAttempts?: () => void | Promise<void>;
    /** Attempt 2 waits out a live lease it meets (default), or reports `busy` at once. */
    readonly resumerWaits?: boolean;
  },
): Promise<{ first: ChildOutcome; second: ChildOutcome; ledger: LedgerEntry[] }> => {
  const ledger = options.ledger ?? newLedger();
  const first = await hangingIn(
    'attempt-1',
    childEnv(options, ledger, { [ENV.hangIn]: options.killWhen.inStep }),
  );
  first.kill();
  const firstOutcome = await first.outcome;
  await options.betweenAttempts?.();
  const waits = options.resumerWaits ?? true;
  const second = spawnChild('attempt-2', childEnv(options, ledger, waits ? { [ENV.waitForLease]: '1' } : {}));
  const secondOutcome = await second.outcome;
  return { first: firstOutcome, second: secondOutcome, ledger: readAndRemove(ledger, options.ledger) };
};

/**
 * `processes` children start the workflow on one run id at the same instant: each first opens
 * its storage, then all are released together from a barrier.
 */
export const race = async (
  options: ScenarioOptions & {
    readonly processes?: number;
    readonly stepMs?: number;
    readonly file?: string;
  },
): Promise<{ outcomes: ChildOutcome[]; ledger: LedgerEntry[] }> => {
  const ledger = options.ledger ?? newLedger();
  const extra = { [ENV.barrier]: '1', [ENV.stepMs]: String(options.stepMs ?? 5) };
  const children = Array.from({ length: options.processes ?? 16 }, (_, i) =>
    spawnChild(`racer-${i + 1}`, childEnv(options, ledger, extra), { file: options.file }),
  );
  await Promise.all(children.map((c) => c.ready));
  for (const child of children) child.go();
  const outcomes = await Promise.all(children.map((c) => c.outcome));
  return { outcomes, ledger: readAndRemove(ledger, options.ledger) };
};
