import type { Prng } from './prng.ts';

/**
 * The simulated world: one virtual time, the processes, and the events waiting to happen. Nothing
 * in a schedule happens on its own: a storage request is delivered, a reply comes back, a timer
 * fires, a step's function goes on, a process is killed or stalled — each is an event due at a
 * virtual instant (network hops and functions take random time), picked by the seeded generator
 * among those due. Between two events every promise callback runs to quiescence, so the same seed
 * replays the same interleaving.
 */
export interface SimProcess {
  readonly id: number;
  readonly name: string;
  alive: boolean;
  /** World time before which none of its events happen (a GC pause, a frozen VM). */
  stalledUntil: number;
  /** Owner tokens of its loads, by run id (the newest). */
  readonly tokens: Map<string, string>;
}

export interface SimEvent {
  readonly seq: number;
  readonly process: SimProcess | undefined;
  readonly label: string;
  /** Enabled only once world time reaches it (a timer). */
  readonly at: number;
  run(): void | Promise<void>;
}

export interface World {
  time: number;
  readonly rng: Prng;
  readonly trace: string[];
  readonly processes: SimProcess[];
  readonly events: Set<SimEvent>;
  /** Work outside the schedule that must end before the next event (a check reading a real backend). */
  readonly pending: Set<Promise<unknown>>;
  spawn(name: string): SimProcess;
  /** Queues an event; returns a function that withdraws it. */
  schedule(
    process: SimProcess | undefined,
    label: string,
    run: () => void | Promise<void>,
    at?: number,
  ): () => void;
  /** A promise the scheduler resolves up to `upToMs` later: time a process spends in its own code. */
  pause(process: SimProcess, label: string, upToMs: number): Promise<void>;
  /** When something that takes up to `upToMs` (a network hop, a function) is over, from now. */
  after(upToMs: number): number;
  log(line: string): void;
}

export const createWorld = (rng: Prng, keepTrace: boolean): World => {
  let seq = 0;
  const world: World = {
    time: 0,
    rng,
    trace: [],
    processes: [],
    events: new Set(),
    pending: new Set(),
    spawn(name) {
      const process: SimProcess = {
        id: world.processes.length,
        name: `${name}#${world.processes.length}`,
        alive: true,
        stalledUntil: 0,
        tokens: new Map(),
      };
      world.processes.push(process);
      return process;
    },
    schedule(process, label, run, at = 0) {
      const event: SimEvent = { seq: seq++, process, label, at, run };
      world.events.add(event);
      return () => world.events.delete(event);
    },
    pause(process, label, upToMs) {
      return new Promise<void>((resolve) => world.schedule(process, label, resolve, world.after(upToMs)));
    },
    after(upToMs) {
      return world.time + rng.int(upToMs + 1);
    },
    log(line) {
      if (keepTrace) world.trace.push(`t=${world.time} ${line}`);
    },
  };
  return world;
};

const enabled = (world: World, event: SimEvent): boolean =>
  event.at <= world.time &&
  (event.process === undefined || (event.process.alive && event.process.stalledUntil <= world.time));

/** Runs `work` outside the schedule: the next event waits for it. */
export const tracked = <T>(world: World, work: Promise<T>): Promise<T> => {
  world.pending.add(work);
  return work.finally(() => world.pending.delete(work));
};

/** Lets every pending promise callback run. */
export const quiesce = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs one event picked among those enabled now (time moves to the next one when none is);
 * false when nothing is left to happen. Events of killed processes never happen.
 */
export const step = async (world: World): Promise<boolean> => {
  await quiesce();
  while (world.pending.size > 0) {
    await Promise.all([...world.pending]);
    await quiesce();
  }
  let candidates = [...world.events].filter((e) => enabled(world, e));
  if (candidates.length === 0) {
    const waiting = [...world.events].filter((e) => e.process === undefined || e.process.alive);
    if (waiting.length === 0) return false;
    world.time = Math.min(...waiting.map((e) => Math.max(e.at, e.process?.stalledUntil ?? 0)));
    candidates = [...world.events].filter((e) => enabled(world, e));
    if (candidates.length === 0) return false;
  }
  const event = candidates[world.rng.int(candidates.length)] as SimEvent;
  world.events.delete(event);
  world.log(event.label);
  await event.run();
  return true;
};
