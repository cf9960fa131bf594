import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findAbandoned,
  inspectRun,
  memoryStorage,
  recoverAbandoned,
  type Storage,
  systemClock,
} from '@td7x/durable-x';
import {
  attemptsClean,
  compensations,
  finalStateSound,
  noReexecution,
  notStuck,
  outputMatches,
} from '../check/invariants.ts';
import { finalStateOf, keptToken } from '../check/snapshot.ts';
import { describePlan, type KillPlan, randomPlan } from '../kill/plan.ts';
import { between, rng } from '../kill/prng.ts';
import { readEntries, type TortureEntry } from '../ledger.ts';
import { type AttemptOutcome, CHILD_ENV } from '../protocol.ts';
import { runAttempt } from '../spawn.ts';
import { ROLLBACKABLE, registryOf, type TortureOutput, tortureWorkflow } from '../workflow.ts';

export const STEPS = ['fetch', 'parse', 'thumbnail', 'metadata', 'upload', 'publish'];

export interface KillTrial {
  readonly seed: number;
  readonly runId: string;
  /** The plan of each attempt, in order (`none` for the last one). */
  readonly plans: readonly string[];
  /** Attempts that died by their plan. */
  readonly kills: number;
  readonly violations: readonly string[];
  /** The ledger, kept only when something was violated, to replay and read. */
  readonly ledger?: readonly TortureEntry[];
}

const noEffects = { step: () => {}, cleanup: () => {}, safe: () => {} };

/** The crash-free output of a run id: the same workflow, once, in memory. */
export const referenceOutput = async (runId: string): Promise<TortureOutput> =>
  (await tortureWorkflow(memoryStorage(), runId, noEffects, {})).output;

/** A clock past every lease of the trial, for the "left stuck" check. */
const future = (leaseMs: number) => ({ ...systemClock, now: () => Date.now() + leaseMs + 1_000 });

/**
 * One trial: up to `maxKills` attempts SIGKILLed at seeded points (storage seam, step body,
 * cleanup), then attempts without a plan until the run completes; then every invariant.
 * `storage` is the parent's own client on the same namespace, for the checks. The namespace must
 * not be shared with another trial running at the same time (the recovery pass sees all of it).
 */
export const killTrial = async (options: {
  readonly env: Readonly<Record<string, string>>;
  readonly storage: Storage;
  readonly runId: string;
  readonly seed: number;
  readonly leaseMs: number;
  readonly maxKills?: number;
  /** A bundled child (bundle.ts); default: the child from source. */
  readonly child?: string | undefined;
}): Promise<KillTrial> => {
  const { env, storage, runId, seed, leaseMs } = options;
  const random = rng(seed);
  const planned = between(random, 1, options.maxKills ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'dx-torture-'));
  const ledger = join(dir, 'ledger.jsonl');
  const attempts: AttemptOutcome[] = [];
  const plans: string[] = [];
  let output: TortureOutput | undefined;
  try {
    // Planned kills, then up to two plain attempts: a run that needs more is a finding.
    for (let i = 1; i <= planned + 2 && output === undefined; i++) {
      const plan: KillPlan = i <= planned ? randomPlan(random) : { mode: 'none' };
      plans.push(describePlan(plan));
      const outcome = await runAttempt(
        {
          ...env,
          [CHILD_ENV.runId]: runId,
          [CHILD_ENV.ledger]: ledger,
          [CHILD_ENV.attempt]: String(i),
          [CHILD_ENV.leaseMs]: String(leaseMs),
          [CHILD_ENV.plan]: describePlan(plan),
        },
        options.child,
      );
      attempts.push(outcome);
      if (outcome.kind === 'completed') output = outcome.output;
      else if (outcome.kind !== 'killed') break;
    }
    const entries = readEntries(ledger);
    const snapshot = await inspectRun(storage)(runId);
    await recoverAbandoned(storage, { clock: future(leaseMs), leaseMs })(registryOf(noEffects))();
    const abandoned = await findAbandoned(storage, { clock: future(leaseMs) })({ limit: 1000 });
    const violations = [
      ...attemptsClean(attempts),
      ...outputMatches(output, await referenceOutput(runId)),
      ...noReexecution(entries, ROLLBACKABLE),
      ...compensations(entries, keptToken(snapshot)),
      ...finalStateSound(finalStateOf(snapshot), STEPS),
      ...notStuck(
        abandoned.runs.map((r) => r.runId),
        runId,
      ),
    ];
    return {
      seed,
      runId,
      plans,
      kills: attempts.filter((a) => a.kind === 'killed').length,
      violations,
      ...(violations.length > 0 ? { ledger: entries } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
