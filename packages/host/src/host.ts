import {
  type Checkpoint,
  type CleanupRegistry,
  type Clock,
  type Codec,
  canonicalText,
  complete,
  defaultCodec,
  type EventListener,
  fail,
  findAbandoned,
  findDue,
  inspectRun,
  isDurableXError,
  type LoadOptions,
  load,
  type RunHead,
  type RunPage,
  recoverAbandoned,
  type Storage,
  suspensionOf,
  systemClock,
} from '@td7x/durable-x';
import { HostError } from './errors.ts';
import type { RunOutcome } from './outcome.ts';
import { recordOf, WORKFLOW_STEP, type WorkflowRecord } from './record.ts';
import { slots } from './slots.ts';
import { contextOf, type Workflow, type WorkflowOptions } from './workflow.ts';

export interface HostOptions {
  readonly storage: Storage;
  /** The cleanup runners of every workflow the host runs (they are looked up by name). */
  readonly cleanups?: CleanupRegistry;
  /** Runs executing at once in this process (started, woken or recovered). Default 8. */
  readonly concurrency?: number;
  /** How often the host looks for due and orphaned runs once `listen` is called. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /**
   * What to do with a run whose owner is gone (running, lease expired): `resume` (default) loads
   * it, which runs the cleanups its dead owner left pending, and runs its workflow on from its
   * memoized steps; `compensate` runs those cleanups and marks it `compensated` (the core's
   * `recoverAbandoned`), for applications that would rather undo than finish a crashed run.
   */
  readonly orphans?: 'resume' | 'compensate';
  /**
   * A run that suspends until less than this far ahead is woken by a timer in this process, at its
   * time, instead of by the next poll. Default 60 000 ms; 0 leaves every wake-up to the poll.
   */
  readonly wakeTimersWithinMs?: number;
  readonly leaseMs?: number;
  readonly clock?: Clock;
  readonly codec?: Codec;
  readonly ownerPrefix?: string;
  /** The core's events of every run the host loads (`load`'s `onEvent`). */
  readonly onEvent?: EventListener;
  /** Every run attempt's outcome, when it settles (started, woken or recovered). */
  readonly onSettled?: (outcome: RunOutcome) => void | Promise<void>;
  /** What went wrong in the background: a poll the storage refused, a listener that threw. */
  readonly onError?: (error: unknown) => void;
}

/** A run the host looked at and left alone: not started by a host, or a workflow it does not have. */
export interface Skipped {
  readonly runId: string;
  readonly status: 'skipped';
  readonly reason: 'not-found' | 'not-a-host-run' | 'unknown-workflow';
  readonly workflow?: string;
}

export interface PollReport {
  readonly outcomes: readonly RunOutcome[];
  readonly skipped: readonly Skipped[];
}

export interface StopReport {
  /** Runs that were executing when `stop` was called and settled before its timeout. */
  readonly settled: number;
  /**
   * Runs still executing at the timeout. They keep their lease while this process lives; if it
   * exits, another host resumes them once their lease expires (they are orphans then).
   */
  readonly stillRunning: readonly string[];
}

export interface Host {
  /** Registers a workflow under `name`; runs record the name, so keep it stable. */
  register<I, O>(name: string, workflow: Workflow<I, O>, options?: WorkflowOptions): Host;
  /**
   * Starts (or joins, or replays) the run `runId` of `workflow` with `input`, in this process, and
   * resolves how this attempt ended. Waits for a free slot. Rejects with a `HostError` when the
   * workflow is unknown, the host is stopped, or the run exists under another workflow or input.
   */
  start<I>(workflow: string, runId: string, input?: I): Promise<RunOutcome>;
  /** Loads a run again now (after a signal, say), whatever its workflow; waits for a free slot. */
  resume(runId: string): Promise<RunOutcome | Skipped>;
  /** One round: resume the runs due now and the orphans, as slots allow; resolves when they settle. */
  poll(): Promise<PollReport>;
  /** Polls every `pollIntervalMs` until `stop`. Keeps the process alive while it listens. */
  listen(): void;
  /** Resolves when no run is executing in this host. */
  idle(): Promise<void>;
  /**
   * Stops polling and starting; lets executing runs reach their next suspension or their end, for
   * at most `timeoutMs` (default 30 000), and reports what is still running then.
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<StopReport>;
  /** Run ids executing now. */
  running(): readonly string[];
}

interface Registration {
  readonly fn: Workflow<unknown, unknown>;
  readonly version: string | undefined;
}

const PAGE = 100;
const PAGES_PER_POLL = 10;
const REMEMBERED_RUNS = 10_000;

const positiveInteger = (name: string, value: number | undefined, fallback: number, min = 1): number => {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new HostError('InvalidArgument', `${name}: expected an integer ≥ ${min}, got ${String(value)}`);
  }
  return v;
};

/** Remembers at most `max` entries, forgetting the oldest first. */
const remember = <K, V>(map: Map<K, V>, key: K, value: V, max = REMEMBERED_RUNS): void => {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
};

/**
 * An in-process host: no daemon, it runs inside your service. See the package README for what it
 * guarantees, how it finds due and orphaned runs, and what each costs.
 */
export const createHost = (options: HostOptions): Host => {
  const storage = options.storage;
  const cleanups = options.cleanups ?? {};
  const concurrency = positiveInteger('concurrency', options.concurrency, 8);
  const pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs, 1000);
  const wakeHorizon = positiveInteger('wakeTimersWithinMs', options.wakeTimersWithinMs, 60_000, 0);
  const orphans = options.orphans ?? 'resume';
  if (orphans !== 'resume' && orphans !== 'compensate') {
    throw new HostError(
      'InvalidArgument',
      `orphans: expected 'resume' or 'compensate', got ${String(orphans)}`,
    );
  }
  const clock = options.clock ?? systemClock;
  const codec = options.codec ?? defaultCodec;
  const workflows = new Map<string, Registration>();
  const inFlight = new Map<string, Promise<RunOutcome | Skipped>>();
  /** Runs whose workflow record this host knows: a resume needs no read first. */
  const known = new Map<string, WorkflowRecord>();
  /** Runs the poll left alone, with the `updatedAt` they had: looked at again once they change. */
  const foreign = new Map<string, number>();
  const wakeTimers = new Map<string, () => void>();
  const gate = slots(concurrency);
  let stopping = false;
  let loop: Promise<void> | undefined;
  let interruptDelay: (() => void) | undefined;

  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // a listener must not stop the host
    }
  };

  const loadOptions = (version: string | undefined): LoadOptions => ({
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.codec === undefined ? {} : { codec: options.codec }),
    ...(options.ownerPrefix === undefined ? {} : { ownerPrefix: options.ownerPrefix }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...(version === undefined ? {} : { version }),
  });

  /** How the load refused: another owner holds it, it was cancelled, or it cannot be loaded now. */
  const loadRefused = (runId: string, workflow: string, error: unknown): RunOutcome => {
    if (isDurableXError(error, 'RunBusy'))
      return { runId, workflow, status: 'busy', leaseExpiresAt: error.error.leaseExpiresAt };
    if (isDurableXError(error, 'Cancelled')) return { runId, workflow, status: 'cancelled' };
    return { runId, workflow, status: 'interrupted', error };
  };

  /**
   * Where the run stands after its workflow threw: the checkpoint's status says what this process
   * did to it. A workflow error on a run still held is the workflow's failure: `fail` runs its
   * cleanups and records the error (retries belong in step retry policies).
   */
  const thrown = async (cp: Checkpoint, workflow: string, error: unknown): Promise<RunOutcome> => {
    const runId = cp.runId;
    const suspended = suspensionOf(error);
    if (suspended) {
      return {
        runId,
        workflow,
        status: 'suspended',
        reason: suspended.reason,
        name: suspended.name,
        resumeAt: suspended.resumeAt,
      };
    }
    switch (cp.status) {
      case 'cancelled':
        return { runId, workflow, status: 'cancelled' };
      case 'lost':
        return { runId, workflow, status: 'lost' };
      case 'failed':
        return { runId, workflow, status: 'failed', error };
      case 'compensated':
        return { runId, workflow, status: 'compensated' };
      case 'running':
        break;
      default:
        // completed (a replay that met a step it has no record of) or suspended behind a caught error
        return { runId, workflow, status: 'interrupted', error };
    }
    if (isDurableXError(error, 'StorageUnavailable'))
      return { runId, workflow, status: 'interrupted', error };
    try {
      await fail(storage)(cp)(error);
      return { runId, workflow, status: 'failed', error };
    } catch (failure) {
      if (isDurableXError(failure, 'LeaseLost')) return { runId, workflow, status: 'lost' };
      if (isDurableXError(failure, 'Cancelled')) return { runId, workflow, status: 'cancelled' };
      return { runId, workflow, status: 'interrupted', error: failure };
    }
  };

  /** One attempt of a run whose workflow is known: load, check the record, run, complete. */
  const execute = async (runId: string, record: WorkflowRecord): Promise<RunOutcome> => {
    const { workflow, input } = record;
    const registration = workflows.get(workflow) as Registration;
    let cp: Checkpoint;
    try {
      cp = await load(storage, loadOptions(registration.version))(cleanups)(runId);
    } catch (error) {
      return loadRefused(runId, workflow, error);
    }
    const context = contextOf(storage, cp, workflow, input);
    let recorded: WorkflowRecord;
    try {
      recorded = await context.step(WORKFLOW_STEP)()(() => record);
    } catch (error) {
      return thrown(cp, workflow, error);
    }
    if (recorded.workflow !== workflow) {
      // Created by another workflow between the check and the load: not ours to run or to fail.
      const error = new HostError(
        'WorkflowMismatch',
        `run ${JSON.stringify(runId)} belongs to workflow ${JSON.stringify(recorded.workflow)}`,
      );
      return { runId, workflow, status: 'interrupted', error };
    }
    try {
      const value = await registration.fn({ ...context, input: recorded.input });
      if (cp.status === 'running') await complete(storage)(cp);
      return { runId, workflow, status: 'completed', value, replay: cp.replay };
    } catch (error) {
      return thrown(cp, workflow, error);
    }
  };

  const scheduleWake = (outcome: RunOutcome) => {
    if (outcome.status !== 'suspended' || outcome.resumeAt === null || stopping) return;
    const delay = Math.max(0, outcome.resumeAt - clock.now());
    if (delay > wakeHorizon) return;
    wakeTimers.get(outcome.runId)?.();
    const cancel = clock.every(Math.max(1, delay), () => {
      cancel();
      wakeTimers.delete(outcome.runId);
      if (stopping || inFlight.has(outcome.runId) || !gate.tryAcquire()) return; // the poll will
      void launch(outcome.runId, undefined).catch(report);
    });
    wakeTimers.set(outcome.runId, cancel);
  };

  const settled = (outcome: RunOutcome | Skipped) => {
    if (outcome.status === 'skipped') return;
    scheduleWake(outcome);
    try {
      // An async listener's rejection is reported too, not left to crash the process.
      Promise.resolve(options.onSettled?.(outcome)).catch(report);
    } catch (error) {
      report(error);
    }
  };

  /** The run's workflow record: known here, or read from storage (one read). */
  const recordFor = async (runId: string): Promise<WorkflowRecord | Skipped> => {
    const remembered = known.get(runId);
    if (remembered) return remembered;
    const snapshot = await inspectRun(storage)(runId);
    if (!snapshot) return { runId, status: 'skipped', reason: 'not-found' };
    const record = recordOf(snapshot, codec);
    if (!record) {
      remember(foreign, runId, snapshot.run.updatedAt);
      return { runId, status: 'skipped', reason: 'not-a-host-run' };
    }
    if (!workflows.has(record.workflow)) {
      remember(foreign, runId, snapshot.run.updatedAt);
      return { runId, status: 'skipped', reason: 'unknown-workflow', workflow: record.workflow };
    }
    remember(known, runId, record);
    return record;
  };

  /** Runs an attempt in a slot the caller holds; `record` undefined: find it first. */
  const launch = (runId: string, record: WorkflowRecord | undefined): Promise<RunOutcome | Skipped> => {
    const task = (async (): Promise<RunOutcome | Skipped> => {
      try {
        const found = record ?? (await recordFor(runId));
        return 'status' in found ? found : await execute(runId, found);
      } catch (error) {
        // Only the read before the load can land here (the storage refused it).
        return { runId, workflow: record?.workflow ?? '', status: 'interrupted', error };
      } finally {
        inFlight.delete(runId);
        gate.release();
      }
    })();
    inFlight.set(runId, task);
    return task.then((outcome) => {
      settled(outcome);
      return outcome;
    });
  };

  /** Launches what one page of heads allows; false once the slots are full. */
  const launchPage = (heads: readonly RunHead[], launched: Promise<RunOutcome | Skipped>[]): boolean => {
    for (const head of heads) {
      if (inFlight.has(head.runId) || foreign.get(head.runId) === head.updatedAt) continue;
      if (!gate.tryAcquire()) return false;
      launched.push(launch(head.runId, undefined));
    }
    return true;
  };

  const sweep = async (
    find: (query: { limit: number; cursor?: string }) => Promise<RunPage>,
    launched: Promise<RunOutcome | Skipped>[],
  ) => {
    let cursor: string | undefined;
    for (let page = 0; page < PAGES_PER_POLL && gate.free() > 0; page++) {
      const { runs, next } = await find({ limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
      if (!launchPage(runs, launched) || next === undefined) return;
      cursor = next;
    }
  };

  /** Orphans under the `compensate` policy: the core's recoverAbandoned, as slots allow. */
  const compensateOrphans = async (): Promise<RunOutcome[]> => {
    const limit = gate.free();
    if (limit === 0) return [];
    const recovered = await recoverAbandoned(storage, loadOptions(undefined))(cleanups)({ limit });
    const outcomes: RunOutcome[] = [
      ...recovered.recovered.map(
        (r): RunOutcome => ({
          runId: r.runId,
          workflow: known.get(r.runId)?.workflow ?? '',
          status: 'compensated',
        }),
      ),
      ...recovered.failed
        .filter((f) => f.error.type !== 'RunBusy')
        .map(
          (f): RunOutcome => ({
            runId: f.runId,
            workflow: known.get(f.runId)?.workflow ?? '',
            status: 'interrupted',
            error: f.error,
          }),
        ),
    ];
    for (const outcome of outcomes) settled(outcome);
    return outcomes;
  };

  /** Finds and launches; the launched attempts are not awaited here. */
  const discover = async (): Promise<{
    launched: Promise<RunOutcome | Skipped>[];
    compensated: RunOutcome[];
  }> => {
    const launched: Promise<RunOutcome | Skipped>[] = [];
    let compensated: RunOutcome[] = [];
    if (stopping) return { launched, compensated };
    await sweep((q) => findDue(storage, { clock })(q), launched);
    if (orphans === 'resume') await sweep((q) => findAbandoned(storage, { clock })(q), launched);
    else compensated = await compensateOrphans();
    return { launched, compensated };
  };

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (options.clock === undefined) {
        const timer = setTimeout(resolve, ms);
        interruptDelay = () => {
          clearTimeout(timer);
          resolve();
        };
      } else {
        interruptDelay = resolve;
        void (options.clock.wait?.(ms) ?? new Promise((r) => setTimeout(r, ms))).then(() => resolve());
      }
    });

  const host: Host = {
    register(name, workflow, registration = {}) {
      if (typeof name !== 'string' || name.length === 0)
        throw new HostError('InvalidArgument', 'workflow name: expected a non-empty string');
      if (typeof workflow !== 'function')
        throw new HostError('InvalidArgument', `workflow ${JSON.stringify(name)}: expected a function`);
      if (workflows.has(name))
        throw new HostError('InvalidArgument', `workflow ${JSON.stringify(name)} is already registered`);
      workflows.set(name, { fn: workflow as Workflow<unknown, unknown>, version: registration.version });
      return host;
    },

    async start(workflow, runId, input) {
      if (stopping) throw new HostError('HostStopped', 'the host is stopped');
      if (!workflows.has(workflow))
        throw new HostError('UnknownWorkflow', `no workflow registered as ${JSON.stringify(workflow)}`);
      let canonicalInput: string;
      try {
        canonicalInput = canonicalText(input);
      } catch (error) {
        throw new HostError(
          'InvalidArgument',
          `input of ${JSON.stringify(runId)}: ${(error as Error).message}`,
        );
      }
      const running = inFlight.get(runId);
      if (running) {
        const outcome = await running;
        if (outcome.status !== 'skipped') return outcome;
      }
      // A run of that id under another workflow or input is refused before it is touched.
      const snapshot = await inspectRun(storage)(runId);
      if (snapshot) {
        const stored = recordOf(snapshot, codec);
        if (!stored || stored.workflow !== workflow || canonicalText(stored.input) !== canonicalInput) {
          throw new HostError(
            'WorkflowMismatch',
            stored
              ? `run ${JSON.stringify(runId)} exists as ${JSON.stringify(stored.workflow)} with another input`
              : `run ${JSON.stringify(runId)} exists and was not started by a host`,
          );
        }
      }
      await gate.acquire();
      const meanwhile = inFlight.get(runId);
      if (meanwhile) {
        // Woken by a poll or a timer while this start waited for its slot: join that attempt.
        gate.release();
        const outcome = await meanwhile;
        if (outcome.status !== 'skipped') return outcome;
        await gate.acquire();
      }
      const record = { workflow, input };
      remember(known, runId, record);
      const outcome = await launch(runId, record);
      return outcome as RunOutcome;
    },

    async resume(runId) {
      const running = inFlight.get(runId);
      if (running) return running;
      await gate.acquire();
      const meanwhile = inFlight.get(runId);
      if (meanwhile) {
        gate.release();
        return meanwhile;
      }
      return launch(runId, undefined);
    },

    async poll() {
      const { launched, compensated } = await discover();
      const all = await Promise.all(launched);
      return {
        outcomes: [...compensated, ...all.filter((o): o is RunOutcome => o.status !== 'skipped')],
        skipped: all.filter((o): o is Skipped => o.status === 'skipped'),
      };
    },

    listen() {
      if (loop !== undefined || stopping) return;
      loop = (async () => {
        while (!stopping) {
          try {
            await discover();
          } catch (error) {
            report(error);
          }
          if (!stopping) await delay(pollIntervalMs);
        }
      })();
    },

    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()]);
    },

    async stop({ timeoutMs = 30_000 } = {}) {
      stopping = true;
      gate.close(new HostError('HostStopped', 'the host is stopped'));
      interruptDelay?.();
      for (const cancel of wakeTimers.values()) cancel();
      wakeTimers.clear();
      // One deadline for the poll under way (a list query may hang) and the runs executing.
      const deadline = Date.now() + timeoutMs;
      const untilDeadline = async (work: Promise<unknown>) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          work,
          new Promise((resolve) => {
            timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
          }),
        ]);
        clearTimeout(timer);
      };
      await untilDeadline(Promise.resolve(loop).catch(() => undefined));
      const executing = [...inFlight.values()];
      await untilDeadline(Promise.allSettled(executing));
      const stillRunning = [...inFlight.keys()];
      return { settled: executing.length - stillRunning.length, stillRunning };
    },

    running: () => [...inFlight.keys()],
  };
  return host;
};
