import { REFERENCE_STEPS } from '@td7x/testing/crash';
import { createNamespace, type Namespace } from './backends/namespace.ts';
import { type BackendName, openBackend } from './backends/open.ts';
import { between, rng, trialSeed } from './kill/prng.ts';
import { runFuzz } from './parts/fuzz.ts';
import { type KillTrial, killTrial } from './parts/kills.ts';
import { type OutageTrial, outageTrial } from './parts/outages.ts';
import { type RaceTrial, raceTrial } from './parts/races.ts';
import { startBreakableServer } from './parts/servers.ts';

export interface CampaignOptions {
  readonly seed: number;
  /** Stop kill trials once this many attempts were SIGKILLed. */
  readonly kills: number;
  readonly outages: number;
  readonly races: number;
  readonly raceProcesses: number;
  readonly fuzzCases: number;
  /** Kill trials at the same time (each on its own namespace). */
  readonly parallel: number;
  readonly leaseMs: number;
  /** The bundled child (bundle.ts). */
  readonly child: string;
  readonly log?: (line: string) => void;
}

export interface BackendFigures {
  readonly backend: BackendName;
  readonly killTrials: number;
  readonly kills: number;
  /** Kills by plan mode (before-call, after-call, in-effect). */
  readonly killsByMode: Readonly<Record<string, number>>;
  /** Requests that reached the backend twice, by who resent them (driver, wrapper). */
  readonly resends: Readonly<Record<string, number>>;
  /** Answers lost after the backend applied the request. */
  readonly lostReplies: number;
  /** How the trials' runs ended (completed, cancelled, stranded …). */
  readonly ends: Readonly<Record<string, number>>;
  /** Cleanups the housekeeper ran (recoverAbandoned), and duplicate requests raced with a purge. */
  readonly recoveredCleanups: number;
  readonly duplicates: number;
  readonly outage: string | undefined;
  readonly outages: number;
  readonly outageTypedErrors: number;
  readonly races: number;
  readonly raceProcesses: number;
  readonly fuzzCases: number;
  readonly fuzzCalls: number;
  readonly violations: readonly { readonly part: string; readonly detail: string }[];
  /** Failing kill trials, with what it takes to replay them. */
  readonly failedTrials: readonly KillTrial[];
  readonly seconds: number;
}

/** Every part of the campaign on one backend: kills, outages, races, fuzz. */
export const runBackend = async (backend: BackendName, options: CampaignOptions): Promise<BackendFigures> => {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const violations: { part: string; detail: string }[] = [];

  // Kill trials: `parallel` workers, each on its own namespace (its recovery pass sees all of it).
  const trials: KillTrial[] = [];
  let kills = 0;
  let next = 0;
  const worker = async (w: number) => {
    const namespace = await createNamespace(backend, `kills${w}`);
    try {
      while (kills < options.kills) {
        const index = next++;
        const seed = trialSeed(options.seed, index);
        const trial = await killTrial({
          namespace,
          runId: `kill-${index}`,
          seed,
          leaseMs: options.leaseMs,
          child: options.child,
        });
        kills += trial.kills;
        trials.push(trial);
        for (const detail of trial.violations)
          violations.push({ part: `kill trial ${index} (seed ${seed})`, detail });
        if (trial.violations.length > 0)
          log(
            `${backend}: trial ${index} seed ${seed} ${trial.plans.join(' > ')}: ${trial.violations.join('; ')}`,
          );
        if (trials.length % 25 === 0)
          log(`${backend}: ${trials.length} trials, ${kills} kills, ${violations.length} violations`);
      }
    } finally {
      await namespace.drop();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, (_, w) => worker(w)));
  const killsByMode: Record<string, number> = {};
  const resends: Record<string, number> = {};
  const ends: Record<string, number> = {};
  const add = (into: Record<string, number>, key: string, n = 1) => {
    into[key] = (into[key] ?? 0) + n;
  };
  for (const t of trials) {
    add(ends, t.end);
    for (const [how, n] of Object.entries(t.resends)) add(resends, how, n);
    for (const [mode, n] of Object.entries(t.killsByMode)) add(killsByMode, mode, n);
  }
  log(`${backend}: kills done: ${kills} in ${trials.length} trials`);

  // Outages: the server goes down inside a seeded step, comes back, the run completes.
  const outages: OutageTrial[] = [];
  let outage: string | undefined;
  if (options.outages > 0) {
    const server = await startBreakableServer(backend);
    if (server) {
      outage = server.outage;
      let ns: Namespace | undefined;
      try {
        ns = await createNamespace(backend, 'outage', server);
        const { storage, close } = await openBackend(ns.env);
        try {
          const random = rng(options.seed ^ 0x5eed);
          for (let i = 0; i < options.outages; i++) {
            const brokenIn = REFERENCE_STEPS[between(random, 0, REFERENCE_STEPS.length - 1)]!;
            const trial = await outageTrial({
              storage,
              raw: ns.raw,
              server,
              runId: `outage-${i}`,
              brokenIn,
              leaseMs: options.leaseMs,
            });
            outages.push(trial);
            for (const detail of trial.violations)
              violations.push({ part: `outage ${i} (in ${brokenIn})`, detail });
          }
        } finally {
          await close();
        }
      } finally {
        await ns?.drop().catch(() => {});
        await server.close();
      }
    }
    log(`${backend}: outages done: ${outages.length}`);
  }

  // Races: N processes on one new run id at once.
  const races: RaceTrial[] = [];
  if (options.races > 0) {
    const ns = await createNamespace(backend, 'races');
    try {
      for (let i = 0; i < options.races; i++) {
        const trial = await raceTrial({
          env: ns.env,
          runId: `race-${i}`,
          processes: options.raceProcesses,
          child: options.child,
        });
        races.push(trial);
        for (const detail of trial.violations) violations.push({ part: `race ${i}`, detail });
      }
    } finally {
      await ns.drop();
    }
    log(`${backend}: races done: ${races.length}`);
  }

  // Fuzz: in process, through the adapter.
  let fuzz = { cases: 0, calls: 0 };
  if (options.fuzzCases > 0) {
    const ns = await createNamespace(backend, 'fuzz');
    const { storage, close } = await openBackend(ns.env);
    try {
      const report = await runFuzz({ storage, seed: options.seed, cases: options.fuzzCases, label: backend });
      fuzz = report;
      for (const detail of report.violations) violations.push({ part: 'fuzz', detail });
    } finally {
      await close();
      await ns.drop();
    }
    log(`${backend}: fuzz done: ${fuzz.cases} cases, ${fuzz.calls} calls`);
  }

  return {
    backend,
    killTrials: trials.length,
    kills,
    killsByMode,
    resends,
    lostReplies: trials.reduce((n, t) => n + t.lostReplies, 0),
    ends,
    recoveredCleanups: trials.reduce((n, t) => n + t.recovered, 0),
    duplicates: trials.reduce((n, t) => n + t.duplicates, 0),
    outage,
    outages: outages.length,
    outageTypedErrors: outages.reduce((n, o) => n + o.typedErrors, 0),
    races: races.length,
    raceProcesses: options.raceProcesses,
    fuzzCases: fuzz.cases,
    fuzzCalls: fuzz.calls,
    violations,
    failedTrials: trials.filter((t) => t.violations.length > 0),
    seconds: Math.round((Date.now() - started) / 1000),
  };
};
