import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { DurableEvent, EventListener } from '@td7x/durable-x';
import { ATTR } from './attributes.ts';

export interface TracingOptions {
  /** Default: `trace.getTracer('@td7x/durable-x-otel')` from the global tracer provider. */
  readonly tracer?: Tracer;
  /** Open run spans kept at most; past it the oldest is ended (a run whose end no event reported). Default 10 000. */
  readonly maxOpenRuns?: number;
}

export interface DurableTracing {
  /** Pass as `load`'s `onEvent` (or the host's): every event of every run becomes spans. */
  readonly onEvent: EventListener;
  /**
   * Ends the run's span if it is still open: a run whose workflow threw (a step without retries
   * failed, a load refused) has no event that ends it. `error` marks it failed.
   */
  end(runId: string, error?: unknown): void;
}

interface OpenRun {
  readonly span: Span;
  /** The run span's context: the parent of the run's step, cleanup, suspension and signal spans. */
  readonly context: Context;
  /** Step functions running now, by memo key: their spans end with the step. */
  readonly steps: Map<string, Span>;
  /** Cleanups running now, by name. */
  readonly cleanups: Map<string, Span>;
}

const now = () => Date.now();

const errorOf = (cause: unknown): Error =>
  cause instanceof Error
    ? cause
    : new Error(typeof cause === 'string' ? cause : (JSON.stringify(cause) ?? String(cause)));

const failSpan = (span: Span, cause: unknown): void => {
  const error = errorOf(cause);
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
};

/**
 * Spans from the core's events: one `durable-x run` span per load of a run (a child of the span
 * active when the run was loaded), and under it a span per step attempt (from `step.started` to its
 * end: its attempt and output size, or its error), per memoized step, per cleanup (with its
 * duration), per suspension and per signal received.
 */
export const durableTracing = (options: TracingOptions = {}): DurableTracing => {
  const tracer = options.tracer ?? trace.getTracer('@td7x/durable-x-otel');
  const maxOpen = options.maxOpenRuns ?? 10_000;
  const open = new Map<string, OpenRun>();
  /**
   * Replayed runs: their span ended with the load (a replay has no end event); their context is
   * kept only to parent the memo hits that follow, apart from `open` so that replays never push
   * a live run's span out.
   */
  const replays = new Map<string, Context>();

  const closeRun = (runId: string, outcome: string, attributes: Attributes = {}, cause?: unknown) => {
    const run = open.get(runId);
    if (!run) return;
    open.delete(runId);
    for (const span of [...run.steps.values(), ...run.cleanups.values()]) span.end();
    run.span.setAttributes({ [ATTR.outcome]: outcome, ...attributes });
    if (cause !== undefined) failSpan(run.span, cause);
    run.span.end();
  };

  /** A span under the run's span (or under the active context if the run's load was not seen). */
  const child = (runId: string, name: string, attributes: Attributes, startTime?: number): Span => {
    const parent = open.get(runId)?.context ?? replays.get(runId) ?? context.active();
    return tracer.startSpan(
      name,
      {
        attributes: { [ATTR.runId]: runId, ...attributes },
        ...(startTime === undefined ? {} : { startTime }),
      },
      parent,
    );
  };

  const instant = (runId: string, name: string, attributes: Attributes, cause?: unknown) => {
    const span = child(runId, name, attributes);
    if (cause !== undefined) failSpan(span, cause);
    span.end();
  };

  const takeStep = (runId: string, key: string | undefined): Span | undefined => {
    const steps = open.get(runId)?.steps;
    const span = key === undefined ? undefined : steps?.get(key);
    if (key !== undefined) steps?.delete(key);
    return span;
  };

  /** The key of the running step of that name (`step.retrying` and `step.failed` carry no key). */
  const keyOf = (runId: string, name: string): string | undefined => {
    for (const key of open.get(runId)?.steps.keys() ?? []) if (key.startsWith(`${name}#`)) return key;
    return undefined;
  };

  const takeCleanup = (runId: string, name: string): Span => {
    const cleanups = open.get(runId)?.cleanups;
    const span = cleanups?.get(name) ?? child(runId, `durable-x cleanup ${name}`, { [ATTR.cleanup]: name });
    cleanups?.delete(name);
    return span;
  };

  const handle = (event: DurableEvent): void => {
    const runId = event.runId;
    switch (event.type) {
      case 'run.loaded': {
        closeRun(runId, 'abandoned');
        const span = tracer.startSpan(
          'durable-x run',
          {
            attributes: {
              [ATTR.runId]: runId,
              [ATTR.attempt]: event.attempt,
              [ATTR.previousStatus]: event.previousStatus ?? 'new',
              [ATTR.replay]: event.status === 'completed',
              [ATTR.memoizedRecords]: event.memoizedSteps,
              [ATTR.pendingCleanups]: event.pendingCleanups,
            },
          },
          context.active(),
        );
        replays.delete(runId);
        const runContext = trace.setSpan(context.active(), span);
        // A replay has no end event: its span covers the load, its memo hits follow under it.
        if (event.status === 'completed') {
          span.setAttribute(ATTR.outcome, 'replayed');
          span.end();
          replays.set(runId, runContext);
          if (replays.size > maxOpen) replays.delete(replays.keys().next().value as string);
          return;
        }
        open.set(runId, { span, context: runContext, steps: new Map(), cleanups: new Map() });
        if (open.size > maxOpen) closeRun(open.keys().next().value as string, 'unknown');
        return;
      }
      case 'step.started': {
        const span = child(runId, `durable-x step ${event.name}`, {
          [ATTR.step]: event.name,
          [ATTR.memoized]: false,
          [ATTR.stepAttempt]: event.attempt,
        });
        open.get(runId)?.steps.set(event.key, span);
        return;
      }
      case 'step.ran': {
        const span =
          takeStep(runId, event.key) ??
          child(
            runId,
            `durable-x step ${event.name}`,
            { [ATTR.step]: event.name, [ATTR.memoized]: false, [ATTR.stepAttempt]: event.attempt },
            now() - event.ms,
          );
        span.setAttribute(ATTR.outputBytes, event.bytes);
        span.end();
        return;
      }
      case 'step.skipped':
        instant(runId, `durable-x step ${event.name}`, {
          [ATTR.step]: event.name,
          [ATTR.memoized]: true,
          [ATTR.outputBytes]: event.bytes,
        });
        return;
      case 'step.retrying': {
        const span =
          takeStep(runId, keyOf(runId, event.name)) ??
          child(runId, `durable-x step ${event.name}`, {
            [ATTR.step]: event.name,
            [ATTR.memoized]: false,
            [ATTR.stepAttempt]: event.attempt,
          });
        span.setAttribute(ATTR.retryDelayMs, event.delayMs);
        failSpan(span, event.cause);
        span.end();
        return;
      }
      case 'step.failed': {
        const span =
          takeStep(runId, keyOf(runId, event.name)) ??
          child(runId, `durable-x step ${event.name}`, { [ATTR.step]: event.name, [ATTR.memoized]: false });
        failSpan(span, event.cause);
        span.end();
        return;
      }
      case 'cleanup.registered':
      case 'cleanup.cleared':
        open.get(runId)?.span.addEvent(event.type, { [ATTR.cleanup]: event.name });
        return;
      case 'cleanup.started':
        open
          .get(runId)
          ?.cleanups.set(
            event.name,
            child(runId, `durable-x cleanup ${event.name}`, { [ATTR.cleanup]: event.name }),
          );
        return;
      case 'cleanup.ran': {
        const span = takeCleanup(runId, event.name);
        span.setAttribute(ATTR.forgotSteps, event.forgotSteps);
        span.end();
        return;
      }
      case 'cleanup.failed': {
        const span = takeCleanup(runId, event.name);
        failSpan(span, event.cause);
        span.end();
        return;
      }
      case 'run.suspended':
        instant(runId, `durable-x suspend ${event.name}`, {
          [ATTR.suspension]: event.name,
          [ATTR.reason]: event.reason,
          ...(event.resumeAt === null ? {} : { [ATTR.resumeAt]: new Date(event.resumeAt).toISOString() }),
        });
        closeRun(runId, 'suspended');
        return;
      case 'signal.received':
        instant(runId, `durable-x signal ${event.name}`, {
          [ATTR.signal]: event.name,
          [ATTR.timedOut]: event.timedOut,
        });
        return;
      case 'run.restarted':
        open.get(runId)?.span.addEvent('run.restarted', {
          'durable_x.version.from': event.from ?? '',
          'durable_x.version.to': event.to,
          [ATTR.forgotSteps]: event.cleanupsRun.length,
        });
        return;
      case 'run.completed':
        closeRun(runId, 'completed', { [ATTR.droppedCleanups]: event.droppedCleanups.length });
        return;
      case 'run.failed':
        closeRun(runId, 'failed', {}, event.error);
        return;
      case 'run.cancelled':
        closeRun(runId, 'cancelled');
        return;
      case 'lease.lost':
        closeRun(runId, 'lease-lost', { [ATTR.op]: event.op }, new Error(`lease lost in ${event.op}`));
        return;
    }
  };

  return {
    onEvent: handle,
    end: (runId, error) => closeRun(runId, error === undefined ? 'ended' : 'failed', {}, error),
  };
};
