import type { Result } from 'neverthrow';
import type {
  Cancelled,
  CleanupFailed,
  LeaseLost,
  NotDecodable,
  RunEnded,
  StorageUnavailable,
  Suspended,
  UnknownCleanup,
} from '../errors.ts';

/**
 * The life of a run as the process that loaded it holds it: one value, moved only along the legal
 * transitions below. Every operation asks the state first; only the write gateway (gateway.ts)
 * and the calls that end a run move it.
 *
 *   running ──refused──▶ lost             (another owner took it over: stop, change nothing)
 *      │ ─────refused──▶ cancelled ──▶ lost (cancelled: undo once the running steps end; an
 *      │                                    undo refused by a new owner leaves it lost)
 *      └──complete / fail / suspend──▶ ending (its writes in flight landed; it sends the last one)
 *                     ending ──▶ replaying  (completed: memoized steps answer, nothing is written)
 *                            ──▶ suspended  (parked by a sleep or a wait; the host runs it again)
 *                            ──▶ ended      (failed or compensated; a later load retries it)
 *                            ──▶ lost, cancelled (the last write was refused)
 *                            ──▶ running    (the last write did not reach storage: call it again)
 *
 * A load starts in `running`, or in `replaying` for a completed run. While `ending`, no other
 * write is sent: one racing the last write would be refused by it and read as a takeover.
 */
export type RunState =
  | { readonly kind: 'running' }
  | { readonly kind: 'ending'; readonly over: Promise<void> }
  | { readonly kind: 'replaying' }
  | { readonly kind: 'suspended'; readonly suspension: Suspended }
  | { readonly kind: 'ended'; readonly status: 'failed' | 'compensated' }
  | { readonly kind: 'lost' }
  | { readonly kind: 'cancelled'; readonly outcome: Promise<Result<never, UndoOutcome>> };

export type RunStateKind = RunState['kind'];

/**
 * How undoing a cancelled run ends: `Cancelled` once every pending cleanup ran, else the reason
 * one could not run (it stays pending, and the next load of the run retries it).
 */
export type UndoOutcome = Cancelled | UndoError;

export type UndoError = CleanupFailed | UnknownCleanup | NotDecodable | StorageUnavailable | LeaseLost;

/**
 * What a call gets from a run this process no longer holds: taken over, cancelled (or the undo's
 * own failure), ended by this process, or parked by it.
 */
export type Refused = LeaseLost | RunEnded | Suspended | UndoOutcome;

const LEGAL: { readonly [K in RunStateKind]: readonly RunStateKind[] } = {
  running: ['ending', 'lost', 'cancelled'],
  ending: ['replaying', 'suspended', 'ended', 'lost', 'cancelled', 'running'],
  cancelled: ['lost'],
  replaying: [],
  suspended: [],
  ended: [],
  lost: [],
};

/** The state after `from` moves to `to`; an illegal move is a bug in the core, and throws. */
export const transition = (from: RunState, to: RunState): RunState => {
  if (!LEGAL[from.kind].includes(to.kind)) {
    throw new Error(`durable-x: illegal run state transition ${from.kind} → ${to.kind}`);
  }
  return to;
};
