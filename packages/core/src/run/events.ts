import type { RunStatus } from '../storage/contract.ts';
import type { Liveness } from './liveness.ts';

/**
 * What a run reports as it goes, for logs, metrics and demos. Pass `onEvent` to `load`.
 * A listener that throws is ignored: observability must never change what a run does.
 */
export type DurableEvent =
  | {
      readonly type: 'run.loaded';
      readonly runId: string;
      readonly attempt: number;
      readonly status: 'running' | 'completed';
      /** The status before this load: `suspended` on a wake-up, null for a new run. */
      readonly previousStatus: RunStatus | null;
      /** Records found: memoized steps and the core's own (signals, sleeps, attempts). */
      readonly memoizedSteps: number;
      readonly pendingCleanups: number;
    }
  | { readonly type: 'cleanup.registered'; readonly runId: string; readonly name: string }
  | { readonly type: 'cleanup.cleared'; readonly runId: string; readonly name: string }
  | {
      readonly type: 'cleanup.ran';
      readonly runId: string;
      readonly name: string;
      readonly forgotSteps: number;
    }
  | {
      readonly type: 'cleanup.failed';
      readonly runId: string;
      readonly name: string;
      readonly cause: unknown;
    }
  /** A cleanup's function is about to run (`cleanup.ran` or `cleanup.failed` follows). */
  | { readonly type: 'cleanup.started'; readonly runId: string; readonly name: string }
  /** A step's function is about to run, attempt `attempt` (from 1). */
  | {
      readonly type: 'step.started';
      readonly runId: string;
      readonly name: string;
      /** The step's memo key: `name#` and the hash of its input. */
      readonly key: string;
      readonly attempt: number;
    }
  | {
      readonly type: 'step.ran';
      readonly runId: string;
      readonly name: string;
      readonly key: string;
      readonly attempt: number;
      /** From `step.started` to its record stored. */
      readonly ms: number;
      /** Of the output as stored (UTF-8, encoded by the codec). */
      readonly bytes: number;
    }
  | {
      readonly type: 'step.skipped';
      readonly runId: string;
      readonly name: string;
      readonly key: string;
      /** Of the memoized output as stored. */
      readonly bytes: number;
    }
  | { readonly type: 'step.failed'; readonly runId: string; readonly name: string; readonly cause: unknown }
  | {
      readonly type: 'step.retrying';
      readonly runId: string;
      readonly name: string;
      /** The attempt that failed, from 1. */
      readonly attempt: number;
      readonly delayMs: number;
      readonly cause: unknown;
    }
  | {
      readonly type: 'run.suspended';
      readonly runId: string;
      readonly name: string;
      readonly reason: 'sleep' | 'signal';
      readonly resumeAt: number | null;
    }
  | {
      readonly type: 'signal.received';
      readonly runId: string;
      readonly name: string;
      readonly timedOut: boolean;
    }
  | { readonly type: 'run.cancelled'; readonly runId: string; readonly cleanupsRun: readonly string[] }
  | {
      readonly type: 'run.restarted';
      readonly runId: string;
      readonly from: string | null;
      readonly to: string;
      readonly cleanupsRun: readonly string[];
    }
  | { readonly type: 'lease.lost'; readonly runId: string; readonly op: string }
  /** `load` met another owner's live lease and asked the liveness check about that owner. */
  | {
      readonly type: 'owner.checked';
      readonly runId: string;
      readonly owner: string;
      readonly answer: Liveness;
    }
  /** `load` (with `waitForLease`) waits until `until` (epoch ms) before it claims again. */
  | { readonly type: 'lease.waiting'; readonly runId: string; readonly until: number }
  | { readonly type: 'run.completed'; readonly runId: string; readonly droppedCleanups: readonly string[] }
  | { readonly type: 'run.failed'; readonly runId: string; readonly error: unknown };

export type EventListener = (event: DurableEvent) => void;

/** UTF-8 bytes of a string, counted without encoding it (events carry sizes only when listened to). */
export const utf8Length = (text: string): number => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
};

export const safeEmit =
  (listener: EventListener | undefined) =>
  (event: DurableEvent): void => {
    if (!listener) return;
    try {
      listener(event);
    } catch {
      // ignored on purpose, see above
    }
  };
