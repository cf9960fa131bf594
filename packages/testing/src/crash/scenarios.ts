import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LedgerEntry, readLedger } from './ledger.ts';
import { type ChildOutcome, ENV } from './protocol.ts';
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

const newLedger = (): string => join(mkdtempSync(join(tmpdir(), 'dx-crash-')), 'ledger.jsonl');

const childEnv = (options: ScenarioOptions, ledger: string, extra: Record<string, string> = {}) => ({
  ...options.env,
  [ENV.storageModule]: options.storageModule,
  [ENV.runId]: options.runId,
  [ENV.ledger]: ledger,
  [ENV.leaseMs]: String(options.leaseMs ?? 1500),
  ...(options.liveness === undefined ? {} : { [ENV.liveness]: options.liveness }),
  ...extra,
});

/** Resolves once `predicate` holds for the ledger; rejects if the child ends first or time runs out. */
const waitForLedger = async (
  ledger: string,
  child: SpawnedChild,
  predicate: (entries: readonly LedgerEntry[]) => boolean,
  timeoutMs = 20_000,
): Promise<void> => {
  let ended: ChildOutcome | undefined;
  void child.outcome.then((o) => {
    ended = o;
  });
  const deadline = Date.now() + timeoutMs;
  while (!predicate(readLedger(ledger))) {
    if (ended)
      throw new Error(`crash harness: ${child.label} ended before the kill point: ${JSON.stringify(ended)}`);
    if (Date.now() > deadline) throw new Error(`crash harness: kill point not reached in ${timeoutMs} ms`);
    await sleep(20);
  }
};

/** One child runs the workflow to the end (a crash-free baseline, or a plain retry). */
export const runToCompletion = async (
  options: ScenarioOptions & { readonly label?: string },
): Promise<{ outcome: ChildOutcome; ledger: LedgerEntry[] }> => {
  const ledger = options.ledger ?? newLedger();
  const child = spawnChild(options.label ?? 'single', childEnv(options, ledger, { [ENV.waitForLease]: '1' }));
  const outcome = await child.outcome;
  return { outcome, ledger: readLedger(ledger) };
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
  const { inStep } = options.killWhen;
  const first = spawnChild('attempt-1', childEnv(options, ledger, { [ENV.hangIn]: inStep }));
  try {
    await waitForLedger(ledger, first, (entries) =>
      entries.some((e) => e.child === 'attempt-1' && e.kind === 'step' && e.name === inStep),
    );
  } finally {
    first.kill();
  }
  const firstOutcome = await first.outcome;
  await options.betweenAttempts?.();
  const waits = options.resumerWaits ?? true;
  const second = spawnChild('attempt-2', childEnv(options, ledger, waits ? { [ENV.waitForLease]: '1' } : {}));
  const secondOutcome = await second.outcome;
  return { first: firstOutcome, second: secondOutcome, ledger: readLedger(ledger) };
};

/**
 * `processes` children start the workflow on one run id at the same instant: each first opens
 * its storage, then all are released together from a barrier.
 */
export const race = async (
  options: ScenarioOptions & { readonly processes?: number; readonly stepMs?: number },
): Promise<{ outcomes: ChildOutcome[]; ledger: LedgerEntry[] }> => {
  const ledger = options.ledger ?? newLedger();
  const extra = { [ENV.barrier]: '1', [ENV.stepMs]: String(options.stepMs ?? 5) };
  const children = Array.from({ length: options.processes ?? 16 }, (_, i) =>
    spawnChild(`racer-${i + 1}`, childEnv(options, ledger, extra)),
  );
  await Promise.all(children.map((c) => c.ready));
  for (const child of children) child.go();
  const outcomes = await Promise.all(children.map((c) => c.outcome));
  return { outcomes, ledger: readLedger(ledger) };
};
