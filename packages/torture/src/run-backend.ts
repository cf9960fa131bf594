import { createNamespace, type Namespace } from './backends/namespace.ts';
import { type BackendName, openBackend, TORTURE_ENV } from './backends/open.ts';
import { between, rng, trialSeed } from './kill/prng.ts';
import { runFuzz } from './parts/fuzz.ts';
import { type KillTrial, killTrial, STEPS } from './parts/kills.ts';
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
  /** A bundled child (bundle.ts); default: from source through tsx. */
  readonly child?: string | undefined;
  readonly log?: (line: string) => void;
}

export interface BackendFigures {
  readonly backend: BackendName;
  readonly killTrials: number;
  readonly kills: number;
  /** Kills by plan mode (before-call, after-call, in-effect). */
  readonly killsByMode: Readonly<Record<string, number>>;
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

const modeOf = (plan: string) => plan.split('#')[0]!;

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
    const ns = await createNamespace(backend, `kills${w}`);
    const { storage, close } = await openBackend({ ...ns.env, [TORTURE_ENV.windmillDirect]: '1' });
    try {
      while (kills < options.kills) {
        const index = next++;
        const seed = trialSeed(options.seed, index);
        const trial = await killTrial({
          env: ns.env,
          storage,
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
      await close();
      await ns.drop();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, (_, w) => worker(w)));
  const killsByMode: Record<string, number> = {};
  for (const t of trials)
    for (const p of t.plans.slice(0, t.kills)) killsByMode[modeOf(p)] = (killsByMode[modeOf(p)] ?? 0) + 1;
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
            const brokenIn = STEPS[between(random, 0, STEPS.length - 1)]!;
            const trial = await outageTrial({
              storage,
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
        const trial = await raceTrial({ env: ns.env, runId: `race-${i}`, processes: options.raceProcesses });
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
