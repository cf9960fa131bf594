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
  | { readonly type: 'step.ran'; readonly runId: string; readonly name: string; readonly ms: number }
  | { readonly type: 'step.skipped'; readonly runId: string; readonly name: string }
  | { readonly type: 'step.failed'; readonly runId: string; readonly name: string; readonly cause: unknown }
  | { readonly type: 'lease.lost'; readonly runId: string; readonly op: string }
  | { readonly type: 'run.completed'; readonly runId: string; readonly droppedCleanups: readonly string[] }
  | { readonly type: 'run.failed'; readonly runId: string; readonly error: unknown };

export type EventListener = (event: DurableEvent) => void;

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
