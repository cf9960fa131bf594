import * as V from '@td7x/durable-x';
import { Model, type Truth } from './model.ts';
import { prng } from './prng.ts';
import {
  generateProgram,
  job,
  LEASE_MS,
  type ProcessEnv,
  type Program,
  registry,
  stepNames,
} from './program.ts';
import { simClock } from './sim-clock.ts';
import { CALM, type Faults, simStorage } from './sim-storage.ts';
import { createWorld, type SimProcess, step, type World } from './world.ts';

/** What a schedule is made of; the seed decides everything else. */
export interface ScheduleConfig {
  /** Run ids the actors share. */
  readonly runs: number;
  /** Instructions per workflow program. */
  readonly programSize: number;
  /** Actor firings (workers, hosts, housekeeping, operators, kills, stalls) before the world calms down. */
  readonly actors: number;
  /** Network and server faults while actors fire. */
  readonly faults: Faults;
}

export const DEFAULT_CONFIG: ScheduleConfig = {
  runs: 2,
  programSize: 5,
  actors: 40,
  faults: { resend: 0.03, lostReply: 0.02, refused: 0.02 },
};

/** The shared storage under test, and how to read what it really holds. */
export interface SimBackend {
  readonly storage: V.Storage;
  readonly truth: Truth;
}

export interface ScheduleOptions {
  /** Keep the event trace (for a failing schedule). */
  readonly trace?: boolean;
  /** Actor firings (by ordinal) to leave out: how the shrinker removes faults. */
  readonly skip?: ReadonlySet<number>;
  /** Prefix of the run ids, so schedules on a real backend never meet. */
  readonly namespace?: string;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly trace: readonly string[];
  readonly events: number;
  /** How each actor kind fired, and how the runs ended. */
  readonly stats: Readonly<Record<string, number>>;
}

const ACTORS = [
  'worker',
  'worker',
  'worker',
  'host',
  'recover',
  'purge',
  'cancel',
  'signal',
  'signal',
  'kill',
  'stall',
  'advance',
  'advance',
] as const;
type Actor = (typeof ACTORS)[number];

/**
 * Healthy attempts a run gets once the world is calm. Each may end in a sleep, a wait or a failure
 * (a failure rolls back what followed the newest cleanup, sleeps included), so a program of flaky
 * steps can take a few per instruction.
 */
const RECOVERY_ROUNDS = 30;

/** The most events one schedule may take: past it, the world did not settle (a livelock). */
const MAX_EVENTS = 50_000;

/**
 * One schedule: actors fire at random times over shared run ids while requests are resent, lost
 * and refused, processes are killed and stalled; then the world calms down, every run is driven to
 * its end by healthy workers, and the model checks what is stored against what happened.
 */
export const runSchedule = async (
  seed: number,
  config: ScheduleConfig,
  backend: SimBackend,
  options: ScheduleOptions = {},
): Promise<ScheduleResult> => {
  const world = createWorld(prng(seed), options.trace ?? false);
  const programRng = prng(seed ^ 0x5bd1e995);
  const runIds = Array.from({ length: config.runs }, (_, i) => `${options.namespace ?? 'sim'}:${seed}:r${i}`);
  const programs = new Map<string, Program>(
    runIds.map((id) => [id, generateProgram(programRng, config.programSize)]),
  );
  const model = new Model(world, backend.truth);
  const stats: Record<string, number> = {};
  const count = (key: string) => {
    stats[key] = (stats[key] ?? 0) + 1;
  };
  let calm = false;
  const faults = (): Faults => (calm ? CALM : config.faults);

  const spawn = (name: string): ProcessEnv => {
    const process = world.spawn(name);
    const storage = simStorage(world, process, backend.storage, faults, model);
    return { world, model, process, storage, clock: simClock(world, process) };
  };
  // Half the workers ask who holds a busy run, and take a dead owner's run over at once.
  const startJob = (runId: string, version?: string) =>
    void job(spawn('worker'), runId, programs, version, world.rng.chance(0.5) ? model.liveness : undefined);
  const version = (): string | undefined =>
    world.rng.chance(0.1) ? world.rng.pick(['v1', 'v2']) : undefined;

  let fired = 0;
  const fire = (actor: Actor) => {
    const runId = world.rng.pick(runIds);
    switch (actor) {
      case 'worker':
        return startJob(runId, version());
      case 'host': {
        const host = spawn('host');
        return void V.findDue(host.storage, { clock: host.clock })()
          .then((page) => {
            for (const due of page.runs) startJob(due.runId);
          })
          .catch(() => undefined);
      }
      case 'recover': {
        const keeper = spawn('recover');
        return void V.recoverAbandoned(keeper.storage, { clock: keeper.clock, leaseMs: LEASE_MS })(
          registry(keeper, programs),
        )()
          .then((report) => {
            for (const { runId, error } of report.failed)
              model.housekeepingAnswered('recoverAbandoned', runId, error);
          })
          .catch(() => undefined);
      }
      case 'purge': {
        const keeper = spawn('purge');
        return void V.purgeRuns(keeper.storage, { clock: keeper.clock })({
          olderThanMs: world.rng.int(3 * LEASE_MS),
        }).catch(() => undefined);
      }
      case 'cancel': {
        const operator = spawn('cancel');
        return void V.cancel(operator.storage, { clock: operator.clock })(runId).catch(() => undefined);
      }
      case 'signal': {
        const operator = spawn('signal');
        const waits = (programs.get(runId) ?? []).filter((i) => i.kind === 'wait').map((i) => i.name);
        const name = waits.length > 0 ? world.rng.pick(waits) : 'unexpected';
        return void V.signal(operator.storage, { clock: operator.clock })(runId)(name)({ n: fired }).catch(
          () => undefined,
        );
      }
      case 'kill':
        return kill(world, world.rng.pick(alive(world)));
      case 'stall': {
        const victim = world.rng.pick(alive(world));
        if (victim) victim.stalledUntil = world.time + world.rng.int(Math.round(2.5 * LEASE_MS));
        return;
      }
      case 'advance':
        world.time += world.rng.int(LEASE_MS / 2);
        return;
    }
  };
  const actorEvent = () => {
    const ordinal = fired++;
    const actor = world.rng.pick(ACTORS);
    if (options.skip?.has(ordinal)) world.log(`actor #${ordinal} ${actor} (skipped)`);
    else {
      world.log(`actor #${ordinal} ${actor}`);
      count(actor);
      fire(actor);
    }
    if (fired < config.actors)
      world.schedule(undefined, 'actor', actorEvent, world.time + world.rng.int(LEASE_MS / 3));
  };
  world.schedule(undefined, 'actor', actorEvent);

  let events = 0;
  const drain = async () => {
    while (events < MAX_EVENTS && (await step(world))) events++;
  };
  await drain();

  // The world calms down: no more faults; every run is driven to its end by healthy workers.
  calm = true;
  for (const runId of runIds) {
    for (let round = 0; round < RECOVERY_ROUNDS; round++) {
      const snapshot = await backend.truth.read(runId);
      if (snapshot && ended(snapshot)) break;
      world.time += 10 * LEASE_MS;
      for (const instr of programs.get(runId) ?? []) {
        if (instr.kind === 'wait') {
          const operator = spawn('signal');
          void V.signal(operator.storage, { clock: operator.clock })(runId)(instr.name)({
            final: true,
          }).catch(() => undefined);
        }
      }
      startJob(runId);
      await drain();
    }
    const snapshot = await backend.truth.read(runId);
    count(`ended ${snapshot?.run.status ?? 'absent'}`);
    if (snapshot && !ended(snapshot)) {
      model.violations.push(
        `${runId} is stranded: ${snapshot.run.status} after ${RECOVERY_ROUNDS} healthy attempts`,
      );
    }
    await model.checkFinal(runId, stepNames(programs.get(runId) ?? []));
  }
  if (events >= MAX_EVENTS) model.violations.push(`the world did not settle within ${MAX_EVENTS} events`);
  if (model.late > 0) stats['late effects of paused processes'] = model.late;
  if (model.deadOwners > 0) stats['owners found dead'] = model.deadOwners;
  return { seed, violations: model.violations, trace: world.trace, events, stats };
};

/**
 * Where a run may rest, let go of by its last owner: completed; cancelled and undone; or failed by
 * a step that spent its retry budget (every later load fails it at once, by design: the budget is
 * the run's, not the attempt's) with no cleanup left pending (running one rolls back the attempts
 * recorded after it, and the run goes on).
 */
const ended = ({ run, cleanups }: V.RunSnapshot): boolean =>
  run.owner === null &&
  (run.status === 'completed' ||
    (run.status === 'cancelled' && cleanups.length === 0) ||
    (run.status === 'failed' &&
      cleanups.length === 0 &&
      run.error !== null &&
      / after \d+ attempt\(s\)/.test(run.error)));

const alive = (world: World): SimProcess[] => world.processes.filter((p) => p.alive);

/** SIGKILL: its requests not yet delivered are lost, and nothing it waits for ever happens. */
const kill = (world: World, victim: SimProcess | undefined): void => {
  if (!victim) return;
  victim.alive = false;
  for (const event of [...world.events]) if (event.process === victim) world.events.delete(event);
};
