import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RawRun } from '@td7x/durable-x-testkit';
import {
  appendEffect,
  type ChildOutcome,
  crashFreeOutput,
  describePlan,
  ENV,
  type FaultPlan,
  KILLS,
  type LedgerEntry,
  newLedger,
  readLedger,
  type SpawnedChild,
  spawnChild,
  type WorkflowShape,
} from '@td7x/testing/crash';
import type { Namespace } from '../backends/namespace.ts';
import {
  type Attempt,
  attemptsClean,
  cancelLine,
  cancelRespected,
  compensations,
  duplicatesSound,
  finalStateSound,
  noReexecution,
  outputsMatch,
  recordsTrue,
} from '../check/invariants.ts';
import { CANCELLED_LINE, DUE_LINE, HOUSEKEEPER_ENV, PROBLEM_PREFIX } from '../housekeeper.ts';
import { randomPlan } from '../kill/plan.ts';
import { between, type Rng, rng } from '../kill/prng.ts';
import { recordsOf } from './records.ts';

export interface KillTrial {
  readonly seed: number;
  readonly runId: string;
  /** The plan of each worker attempt, in order, then the housekeeper's. */
  readonly plans: readonly string[];
  /** Worker attempts SIGKILLed by their plan, and by plan mode. */
  readonly kills: number;
  readonly killsByMode: Readonly<Record<string, number>>;
  /** Requests that reached the backend twice, by who resent them (`driver`, `wrapper`). */
  readonly resends: Readonly<Record<string, number>>;
  /** Answers a plan lost after the request was applied. */
  readonly lostReplies: number;
  /** How the run ended: completed, cancelled, or stranded. */
  readonly end: string;
  /** Cleanups run by the housekeeper (recoverAbandoned). */
  readonly recovered: number;
  /** Duplicate requests sent after completion, beside a purge. */
  readonly duplicates: number;
  readonly violations: readonly string[];
  /** The ledger, kept only when something was violated, to replay and read. */
  readonly ledger?: readonly LedgerEntry[];
}

/** Worker attempts after the planned ones; a run that needs more is stranded (a finding). */
const SPARE_ATTEMPTS = 8;
/** How long past its wake time (or the signal) a suspended run may take to be found due. */
const DUE_GRACE_MS = 15_000;
const ATTEMPT_TIMEOUT_MS = 60_000;

/** The trial's script, all drawn from its seed before anything runs. */
interface Script {
  /** Kills to reach: attempts get plans (in order) until this many died by theirs. */
  readonly kills: number;
  readonly plans: readonly FaultPlan[];
  /** Per attempt: load with `sameHostLiveness()` (a killed owner's run taken over at once) or wait out its lease. */
  readonly liveness: readonly boolean[];
  readonly shape: WorkflowShape;
  /** ms after the start: the operator sends the approval, and cancels (in some trials). */
  readonly signalAfter: number;
  readonly cancelAfter: number | undefined;
  readonly housekeeperPlan: FaultPlan;
  readonly duplicates: number;
}

/** Attempts with a plan, at most: a plan that never fires (its call not reached) still costs one. */
const PLANNED_ATTEMPTS = 8;

const scriptOf = (random: Rng, maxKills: number): Script => {
  const kills = between(random, 1, maxKills);
  const plans = Array.from({ length: PLANNED_ATTEMPTS }, () => randomPlan(random));
  const liveness = Array.from({ length: PLANNED_ATTEMPTS + SPARE_ATTEMPTS }, () => random() < 0.5);
  const shape = {
    sleepMs: between(random, 20, 300),
    awaitApproval: true,
    chargeFailures: between(random, 0, 2),
  };
  const signalAfter = between(random, 0, 2_500);
  const cancelAfter = random() < 0.15 ? between(random, 0, 3_000) : undefined;
  const housekeeperPlan: FaultPlan =
    random() < 0.3
      ? { mode: random() < 0.7 ? 'after-call' : 'resend', k: between(random, 1, 40) }
      : { mode: 'none' };
  const duplicates = random() < 0.35 ? between(random, 1, 3) : 0;
  return { kills, plans, liveness, shape, signalAfter, cancelAfter, housekeeperPlan, duplicates };
};

const ended = (run: RawRun | undefined): boolean =>
  run?.status === 'completed' || (run?.status === 'cancelled' && run.cleanupNames.length === 0);

/**
 * One trial, every process real: worker attempts of the reference workflow's long form (sibling
 * steps, a risky window, a durable sleep, a wait for a signal, a step under a retry policy), the
 * first ones under a seeded fault plan (a SIGKILL around a storage call or inside an effect, a
 * lost answer, a resend), then plain ones until the run ends; beside them a housekeeper process
 * (findDue as the host's poll, recoverAbandoned, the operator's signal and, in some trials, a
 * cancel; itself killed or resending in some), and after completion, in some trials, duplicate
 * requests racing a purge. After every attempt the campaign reads the run straight from the
 * backend (`namespace.raw`), so a write that landed as its process died counts as stored.
 */
export const killTrial = async (options: {
  readonly namespace: Namespace;
  readonly runId: string;
  readonly seed: number;
  readonly leaseMs: number;
  /** The bundled child (bundle.ts). */
  readonly child: string;
  readonly maxKills?: number;
  /** Keep the ledger in the result even when nothing was violated (to read a trial). */
  readonly keepLedger?: boolean;
}): Promise<KillTrial> => {
  const { namespace, runId, seed, leaseMs, child } = options;
  const script = scriptOf(rng(seed), options.maxKills ?? 3);
  const ledger = newLedger();
  const note = (entry: Omit<LedgerEntry, 'pid'>) => appendEffect(ledger, { pid: process.pid, ...entry });
  const started = Date.now();
  const base = {
    ...namespace.env,
    [ENV.runId]: runId,
    [ENV.ledger]: ledger,
    [ENV.leaseMs]: String(leaseMs),
  };
  const violations: string[] = [];

  // The housekeeper, restarted whenever its plan killed it, until the trial stops it.
  const problems: string[] = [];
  let onDue: () => void = () => {};
  let housekeeper: SpawnedChild | undefined;
  let housekeepers = 0;
  let stopped = false;
  const startHousekeeper = (plan: FaultPlan) => {
    const label = `housekeeper-${++housekeepers}`;
    const hk = spawnChild(
      label,
      {
        ...base,
        [HOUSEKEEPER_ENV.role]: 'housekeeper',
        [ENV.plan]: describePlan(plan),
        [HOUSEKEEPER_ENV.signalAt]: String(started + script.signalAfter),
        ...(script.cancelAfter === undefined
          ? {}
          : { [HOUSEKEEPER_ENV.cancelAt]: String(started + script.cancelAfter) }),
      },
      {
        file: child,
        onLine: (text) => {
          // A cancelled run is never due: the next load runs its pending cleanups.
          if (text === DUE_LINE || text === CANCELLED_LINE) onDue();
          if (text.startsWith(PROBLEM_PREFIX))
            problems.push(`${label}: ${text.slice(PROBLEM_PREFIX.length)}`);
        },
      },
    );
    housekeeper = hk;
    void hk.outcome.then((o) => {
      if (stopped) return;
      if (o.kind !== 'killed') problems.push(`${label} ended: ${JSON.stringify(o).slice(0, 300)}`);
      startHousekeeper({ mode: 'none' });
    });
  };
  startHousekeeper(script.housekeeperPlan);
  const stopHousekeeper = async () => {
    stopped = true;
    const hk = housekeeper;
    hk?.go('stop');
    const timer = setTimeout(() => hk?.kill(), 10_000);
    await hk?.outcome;
    clearTimeout(timer);
  };

  /** Resolves when the housekeeper finds the run due, the run is cancelled, or time is up (false). */
  const due = (deadline: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
      const finish = (found: boolean) => {
        clearTimeout(timer);
        onDue = () => {};
        resolve(found);
      };
      onDue = () => finish(true);
    });

  const attempts: Attempt[] = [];
  const seen = new Set<string>();
  /** Reads the run from the backend and puts every step record not seen before in the ledger. */
  const readStored = async (): Promise<RawRun | undefined> => {
    const run = await namespace.raw.readRun(runId);
    for (const { name, exec } of recordsOf(run)) {
      if (seen.has(`${name}\u0000${exec}`)) continue;
      seen.add(`${name}\u0000${exec}`);
      note({ child: 'campaign', kind: 'stored', name, ...(exec === undefined ? {} : { exec }) });
    }
    return run;
  };

  let final: RawRun | undefined;
  let duplicateOutcomes: ChildOutcome[] = [];
  let afterDuplicates: RawRun | undefined;
  let phaseOne: LedgerEntry[] = [];
  try {
    let killed = 0;
    for (let i = 0; i < PLANNED_ATTEMPTS + SPARE_ATTEMPTS && !ended(final); i++) {
      const plan: FaultPlan =
        killed < script.kills ? (script.plans[i] ?? { mode: 'none' }) : { mode: 'none' };
      const label = `attempt-${i + 1}`;
      const startedAtLine = readLedger(ledger).length;
      const worker = spawnChild(
        label,
        {
          ...base,
          [ENV.plan]: describePlan(plan),
          [ENV.waitForLease]: '1',
          [ENV.sleepMs]: String(script.shape.sleepMs),
          [ENV.awaitApproval]: '1',
          [ENV.chargeFailures]: String(script.shape.chargeFailures),
          ...(script.liveness[i] ? { [ENV.liveness]: 'host' } : {}),
          DX_DRIVER_RESEND: plan.mode === 'resend' ? '1' : '',
        },
        { file: child, timeoutMs: ATTEMPT_TIMEOUT_MS },
      );
      const outcome = await worker.outcome;
      if (outcome.kind === 'killed') killed++;
      final = await readStored();
      attempts.push({ label, plan, outcome, startedAtLine, ownerAfter: final?.owner });
      if (outcome.kind === 'suspended' && !ended(final) && cancelLine(readLedger(ledger)) === undefined) {
        const wakes = outcome.resumeAt ?? started + script.signalAfter;
        if (!(await due(Math.max(wakes, Date.now()) + DUE_GRACE_MS))) {
          violations.push(
            `${runId} suspended (${outcome.reason}) and was not found due within ${DUE_GRACE_MS} ms`,
          );
          break;
        }
      }
    }
    phaseOne = readLedger(ledger);
    if (!ended(final))
      violations.push(`the run is stranded: ${final?.status ?? 'absent'} after ${attempts.length} attempts`);

    if (final?.status === 'completed' && script.duplicates > 0) {
      housekeeper?.go('purge');
      const duplicates = Array.from({ length: script.duplicates }, (_, d) =>
        spawnChild(
          `duplicate-${d + 1}`,
          { ...base, [ENV.sleepMs]: String(script.shape.sleepMs), [ENV.awaitApproval]: '1' },
          { file: child, timeoutMs: ATTEMPT_TIMEOUT_MS },
        ),
      );
      duplicateOutcomes = await Promise.all(duplicates.map((d) => d.outcome));
    }
  } finally {
    await stopHousekeeper();
  }
  if (duplicateOutcomes.length > 0) {
    afterDuplicates = await namespace.raw.readRun(runId);
    const steps = recordsOf(afterDuplicates).map((r) => r.name);
    note({
      child: 'campaign',
      kind: 'final',
      name: runId,
      detail: `${afterDuplicates?.status ?? 'absent'} ${steps.join(',')}`,
    });
  }

  const entries = readLedger(ledger);
  rmSync(dirname(ledger), { recursive: true, force: true });
  // The operator writes its line once its cancel resolved: read after it stopped, unless the run
  // completed and duplicates followed (a cancel then met the run they started afresh).
  const cancelled = cancelLine(duplicateOutcomes.length > 0 ? phaseOne : entries) !== undefined;
  const reference = await crashFreeOutput(runId, script.shape);
  const upload = recordsOf(final).find((r) => r.name === 'upload');
  violations.push(
    ...attemptsClean(attempts, cancelLine(entries) !== undefined, entries),
    ...outputsMatch(attempts, reference),
    ...noReexecution(phaseOne),
    ...recordsTrue(phaseOne),
    ...(ended(final) ? compensations(phaseOne, upload?.exec) : []),
    ...finalStateSound(final, cancelled ? 'cancelled' : 'completed'),
    ...cancelRespected(phaseOne, attempts),
    ...duplicatesSound(duplicateOutcomes, entries, reference, afterDuplicates),
    ...problems,
  );
  const killed = attempts.filter(
    (a) => a.outcome.kind === 'killed' && a.plan.mode !== 'none' && KILLS.includes(a.plan.mode),
  );
  const killsByMode: Record<string, number> = {};
  for (const { plan } of killed) killsByMode[plan.mode] = (killsByMode[plan.mode] ?? 0) + 1;
  const resends: Record<string, number> = {};
  for (const e of entries)
    if (e.kind === 'resent') resends[e.detail ?? '?'] = (resends[e.detail ?? '?'] ?? 0) + 1;
  return {
    seed,
    runId,
    plans: [
      ...attempts.map((a) => describePlan(a.plan)),
      `housekeeper ${describePlan(script.housekeeperPlan)}`,
    ],
    kills: killed.length,
    killsByMode,
    resends,
    lostReplies: attempts.filter((a) => a.plan.mode === 'lost-reply' && a.outcome.kind === 'error').length,
    end: ended(final) ? (final?.status ?? 'absent') : `stranded ${final?.status ?? 'absent'}`,
    recovered: entries.filter((e) => e.kind === 'cleanup' && e.child.startsWith('housekeeper')).length,
    duplicates: duplicateOutcomes.length,
    violations,
    ...(violations.length > 0 || options.keepLedger ? { ledger: entries } : {}),
  };
};
