import type { Result } from 'neverthrow';
import { ok } from 'neverthrow';
import { type Checked, invalid } from '../arguments.ts';
import type { Clock } from '../clock.ts';
import type { Codec } from '../codec/codec.ts';
import type { CleanupRecord, RunStatus, StepRecord, Storage } from '../storage/contract.ts';
import type { Activity, Body } from './activity.ts';
import type { DurableEvent } from './events.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
import type { CleanupRegistry } from './registry.ts';
import { type RunState, transition, type UndoOutcome } from './state.ts';

/**
 * What `load` hands back: the run as this process holds it. Pass it to `durable`, `beforeRisky`,
 * `afterSafe`, `sleep`, `waitFor`, `complete` and `fail`, each with the storage it was loaded from.
 */
export interface Checkpoint {
  readonly runId: string;
  /**
   * Where the run stands for this process, now: `running` while it holds the run; `completed`
   * once completed (memoized steps answer, nothing is written); `suspended`, `failed`,
   * `compensated` or `cancelled` once it let go of it that way; `lost` when another owner took
   * it over. Read `replay` to know what the load found.
   */
  readonly status: 'running' | 'completed' | 'suspended' | 'failed' | 'compensated' | 'cancelled' | 'lost';
  /** True when the load found the run completed: this call is a replay of stored results. */
  readonly replay: boolean;
  /** How many times the run has been claimed, this load included. */
  readonly attempt: number;
  /** Names of the cleanups this process ran for the run, newest first. */
  readonly cleanupsRun: readonly string[];
}

/**
 * A risky window this process opened with `beforeRisky` and not yet closed: the n-th of its name,
 * with the pending cleanup that guards it — or none, when a replay found it already closed.
 */
export interface Window {
  readonly n: number;
  readonly cleanup: CleanupRecord | undefined;
}

/** A step running in this process, so that a second call of the same key shares it. */
export interface Execution {
  readonly body: Body;
  /** Set as soon as the execution has started. */
  outcome: Promise<unknown> | undefined;
}

/**
 * The run behind a {@link Checkpoint}: who holds it and with what, its one state value, and what
 * is stored for it as this process knows it. Internal: only the `run/` modules use it.
 */
export interface RunHandle {
  readonly runId: string;
  /** This load's token; every write of the run is fenced by it. */
  readonly owner: string;
  /** The storage the run was loaded from: every operation of the run uses this one. */
  readonly storage: Storage;
  readonly codec: Codec;
  readonly clock: Clock;
  readonly leaseMs: number;
  readonly registry: CleanupRegistry;
  readonly emit: (event: DurableEvent) => void;
  /** Someone listens to `emit`: events that cost something to build are built only then. */
  readonly observed: boolean;
  readonly attempt: number;
  /** The status the run had before this load claimed it (null: this load created it). */
  readonly previousStatus: RunStatus | null;
  readonly replay: boolean;

  /** Moved by `moveTo` only. */
  state: RunState;

  /** Step records and the core's own records (signals, sleeps, attempts, version), by key. */
  readonly records: Map<string, StepRecord>;
  /** Pending cleanups, oldest first. */
  pending: CleanupRecord[];
  /**
   * Cleanups a suspension left pending, oldest first. The run parked on purpose, so they are not
   * run on wake-up: the replayed `beforeRisky` calls that registered them adopt them, in order.
   */
  inherited: CleanupRecord[];
  /** Open risky windows by cleanup name, oldest first, and how many of each name were opened. */
  readonly windows: Map<string, Window[]>;
  readonly opened: Map<string, number>;
  /** False while no record of a failed attempt can exist (keys.ts): steps then skip looking. */
  attemptsRecorded: boolean;
  /** Highest seq used; the next record takes `seq + 1`. */
  seq: number;
  /** Newest first, as they ran. */
  readonly cleanupsRun: string[];
  /** Epoch ms until which this process believes it holds the lease; 0 once released. */
  leaseExpiresAt: number;
  /** The newest lease write still in flight: the next one waits for it (they land in order). */
  leaseWrites: Promise<unknown> | undefined;

  readonly keeper: LeaseKeeper;
  readonly activity: Activity;
  /** The fenced writes in flight: the last write of the run waits for them (gateway.ts). */
  readonly writes: Set<Promise<unknown>>;
  readonly executions: Map<string, Execution>;
  /** Serializes compensation: one cleanup at a time in this process. */
  compensating: Promise<unknown>;
  /** Aborted when the run is cancelled or lost under this process (`StepContext.signal`). */
  readonly abort: AbortController;
  /** Undoes a cancelled run; given by `load`, which alone knows how (cancellation.ts). */
  readonly undo: (run: RunHandle) => Promise<Result<never, UndoOutcome>>;
}

/** Moves the run to `next` along a legal transition; stops lease upkeep once it is let go of. */
export const moveTo = (run: RunHandle, next: RunState): void => {
  run.state = transition(run.state, next);
  if (
    next.kind === 'replaying' ||
    next.kind === 'suspended' ||
    next.kind === 'ended' ||
    next.kind === 'lost'
  ) {
    run.keeper.stop();
  }
  if (next.kind === 'lost' || next.kind === 'cancelled') run.abort.abort();
};

// Symbol.for, not Symbol: a checkpoint made by the ESM build must work with the CJS build.
const HANDLE = Symbol.for('@td7x/durable-x/run');

/**
 * The run behind a checkpoint, used through `storage`. A storage other than the one the run was
 * loaded from is refused: the run's writes would otherwise be split over two objects (two
 * caches, two fences).
 */
export const handleOf = (storage: Storage, cp: Checkpoint): Checked<RunHandle> => {
  const run = runOf(storage, cp);
  return 'isErr' in run ? run : ok(run);
};

/** {@link handleOf} without wrapping the handle in a Result: the step path asks on every step. */
export const runOf = (storage: Storage, cp: Checkpoint): RunHandle | Checked<never> => {
  const run =
    typeof cp === 'object' && cp !== null
      ? (cp as unknown as Record<symbol, RunHandle | undefined>)[HANDLE]
      : undefined;
  if (!run) return invalid('checkpoint', 'not a checkpoint returned by load()');
  if (storage !== run.storage) {
    return invalid('storage', `not the storage run ${JSON.stringify(run.runId)} was loaded from`);
  }
  return run;
};

const statusOf = (state: RunState): Checkpoint['status'] => {
  switch (state.kind) {
    case 'replaying':
      return 'completed';
    case 'ended':
      return state.status;
    case 'ending':
      return 'running';
    default:
      return state.kind;
  }
};

export const checkpointOf = (run: RunHandle): Checkpoint => {
  const cp = {
    runId: run.runId,
    replay: run.replay,
    attempt: run.attempt,
    get status() {
      return statusOf(run.state);
    },
    get cleanupsRun() {
      return [...run.cleanupsRun];
    },
  };
  Object.defineProperty(cp, HANDLE, { value: run, enumerable: false });
  return cp;
};
