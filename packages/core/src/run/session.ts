import type { Result } from 'neverthrow';
import type { Clock } from '../clock.ts';
import type { Codec } from '../codec/codec.ts';
import type { CleanupRecord, RunSnapshot, RunStatus, StepRecord, Storage } from '../storage/contract.ts';
import { type Bodies, noBodies } from './bodies.ts';
import type { Refused } from './cancellation.ts';
import type { DurableEvent } from './events.ts';
import type { LeaseKeeper } from './lease.ts';
import type { LoadError } from './load.ts';
import type { CleanupRegistry } from './registry.ts';

/**
 * What `load` hands back: the run as this process holds it. Pass it to `durable`, `beforeRisky`,
 * `afterSafe`, `complete` and `fail`. Its fields are a read-only view of live state.
 */
export interface Checkpoint {
  readonly runId: string;
  /** `completed` means replay: memoized steps return their stored outputs, nothing is written. */
  readonly status: 'running' | 'completed';
  /** How many times the run has been claimed, this load included. */
  readonly attempt: number;
  /** Names of the cleanups that this load ran before handing the run back, newest first. */
  readonly cleanupsRun: readonly string[];
}

/** The mutable state behind a {@link Checkpoint}. Internal: only the `run/` modules touch it. */
export interface Session {
  readonly runId: string;
  readonly owner: string;
  /** The storage given to `load`: lease upkeep uses it; each operation uses the one it is given. */
  readonly storage: Storage;
  readonly codec: Codec;
  readonly clock: Clock;
  readonly leaseMs: number;
  readonly registry: CleanupRegistry;
  readonly emit: (event: DurableEvent) => void;
  readonly attempt: number;
  /** The status the run had before this load claimed it (null: this load created it). */
  readonly previousStatus: RunStatus | null;
  /** The status stored now; `cancelled` for a cancelled run whose cleanups this load runs. */
  readonly storedStatus: RunStatus;
  /** Loads the run again with the same options: how a cancellation runs the cleanups. */
  readonly reload: () => Promise<Result<unknown, LoadError>>;
  readonly cleanupsRun: string[];
  readonly memo: Map<string, StepRecord>;
  /** Pending cleanups, oldest first. */
  pending: CleanupRecord[];
  /**
   * Cleanups a suspension left pending, oldest first. The run parked on purpose, so they are not
   * run on resume; the replayed `beforeRisky` calls that registered them adopt them instead (those
   * no longer in `pending`, cleared or run since, are skipped).
   */
  inherited: CleanupRecord[];
  /** Set once this process learnt that the run was cancelled: the outcome every call now gets. */
  cancellation: Promise<Result<never, Refused>> | undefined;
  /** The status this process gave the run when it let go of it, if it did. */
  finished: 'completed' | 'failed' | 'compensated' | 'cancelled' | 'suspended' | undefined;
  /** Steps of this process now running, by key, so concurrent duplicates share one execution. */
  readonly inflight: Map<string, Promise<unknown>>;
  readonly bodies: Bodies;
  completed: boolean;
  /** Set once a write was fenced off: this process must not continue. */
  lost: boolean;
  /** Epoch ms until which this process believes it holds the lease; 0 after a release. */
  leaseExpiresAt: number;
  /** Highest seq used; the next record takes `seq + 1`. */
  seq: number;
  keeper: LeaseKeeper;
}

// Symbol.for, not Symbol: a checkpoint made by the ESM build must work with the CJS build.
const SESSION = Symbol.for('@td7x/durable-x/session');

export const sessionOf = (cp: Checkpoint): Session => {
  const session = (cp as unknown as Record<symbol, Session | undefined>)[SESSION];
  if (!session) throw new TypeError('durable-x: not a checkpoint returned by load()');
  return session;
};

export const checkpointOf = (session: Session): Checkpoint => {
  const cp = {
    get runId() {
      return session.runId;
    },
    get status() {
      return session.completed ? ('completed' as const) : ('running' as const);
    },
    get attempt() {
      return session.attempt;
    },
    get cleanupsRun() {
      return [...session.cleanupsRun];
    },
  };
  Object.defineProperty(cp, SESSION, { value: session, enumerable: false });
  return cp;
};

/** A loop, not `Math.max(...)`: spreading 150k records overflows the call stack. */
const highestSeq = (...lists: readonly (readonly { seq: number }[])[]): number => {
  let highest = 0;
  for (const list of lists) for (const record of list) if (record.seq > highest) highest = record.seq;
  return highest;
};

type SessionSeed = Omit<
  Session,
  | 'memo'
  | 'pending'
  | 'inherited'
  | 'inflight'
  | 'bodies'
  | 'seq'
  | 'cleanupsRun'
  | 'lost'
  | 'attempt'
  | 'leaseExpiresAt'
  | 'keeper'
  | 'storedStatus'
  | 'cancellation'
  | 'finished'
>;

/** The session state a snapshot implies; `keeper` is attached by the caller. */
export const sessionFromSnapshot = (
  seed: SessionSeed,
  snapshot: RunSnapshot,
  keeper: (session: Session) => LeaseKeeper,
): Session => {
  const steps = [...snapshot.steps].sort((a, b) => a.seq - b.seq);
  const pending = [...snapshot.cleanups].sort((a, b) => a.seq - b.seq);
  const session: Session = {
    ...seed,
    attempt: snapshot.run.attempt,
    storedStatus: snapshot.run.status,
    cleanupsRun: [],
    memo: new Map(steps.map((s) => [s.key, s])),
    pending,
    inherited: seed.previousStatus === 'suspended' ? [...pending] : [],
    cancellation: undefined,
    finished: undefined,
    inflight: new Map(),
    bodies: noBodies(),
    lost: false,
    leaseExpiresAt: snapshot.run.leaseExpiresAt,
    seq: highestSeq(steps, pending),
    keeper: undefined as unknown as LeaseKeeper,
  };
  session.keeper = keeper(session);
  return session;
};
