import {
  afterSafe,
  beforeRisky,
  type Checkpoint,
  type CleanupRegistry,
  type Clock,
  complete,
  defaultCodec,
  durable,
  fail,
  inspectRun,
  isDurableXError,
  type LoadOptions,
  load,
  type RunSnapshot,
  type Storage,
  systemClock,
} from '@td7x/durable-x';
import { fingerprintOf, type RequestShape } from './fingerprint.ts';
import { type ParsedKey, parseKey } from './key.ts';
import { problem } from './problem.ts';
import type { HttpResponse } from './response.ts';
import { retryAfterSeconds } from './retry-after.ts';

/** The step that records which request the key was first used for. */
export const REQUEST_STEP = 'http.request';
/** The step that records the response the handler gave. */
export const RESPONSE_STEP = 'http.response';
/** Set on a response replayed from storage. */
export const REPLAYED_HEADER = 'idempotent-replayed';

export interface IdempotencyOptions {
  readonly storage: Storage;
  /** Cleanup runners for the handlers' `beforeRisky` calls. */
  readonly cleanups?: CleanupRegistry;
  /** Prepended to every run id (`idempotency:` by default), so keys never meet your other runs. */
  readonly namespace?: string;
  /** The run's lease (ms; default 30 000): how long a dead request holds its key. */
  readonly leaseMs?: number;
  /** How long a request usually takes (ms; default 1 000): the `Retry-After` of a 409. */
  readonly expectedMs?: number;
  /**
   * Which responses are stored (and replayed to every duplicate). Default: below 500, so a
   * validation error or a declined payment (4xx) is final, and a server error lets the client
   * retry with the same key (the finished steps are skipped).
   */
  readonly store?: (status: number) => boolean;
  /** Passed to `load` (`codec`, `onEvent`, `version`, `ownerPrefix`). */
  readonly load?: Omit<LoadOptions, 'leaseMs' | 'clock'>;
  readonly clock?: Clock;
}

/** A request as the middleware needs it. */
export interface IncomingRequest extends RequestShape {
  /** The `Idempotency-Key` header as received (undefined when absent). */
  readonly key: string | undefined;
  /**
   * Who is asking (a user or tenant id): keys are chosen by clients, so without a scope one
   * client could replay another's response by reusing its key.
   */
  readonly scope?: string | undefined;
}

/** What a handler gets: its request's run, with its storage already applied. */
export interface IdempotentRun {
  /** The `Idempotency-Key`, as parsed. */
  readonly key: string;
  readonly runId: string;
  readonly checkpoint: Checkpoint;
  /** `durable(storage)(checkpoint)`: `await run.step('charge')(input)(fn)`. */
  readonly step: ReturnType<ReturnType<typeof durable>>;
  /** `beforeRisky(storage)(checkpoint)`. */
  readonly beforeRisky: ReturnType<ReturnType<typeof beforeRisky>>;
  /** `afterSafe(storage)(checkpoint)`. */
  readonly afterSafe: ReturnType<ReturnType<typeof afterSafe>>;
}

/** How the handler ended: with a response, or by throwing. */
export type Outcome = { readonly response: HttpResponse } | { readonly error: unknown };

export type Admission =
  /** Answer this and do not run the handler: a replay, a conflict, a bad key. */
  | { readonly kind: 'answer'; readonly response: HttpResponse }
  /**
   * Run the handler with `run`, then call `settle` with how it ended. `settle` resolves the
   * response to send instead of the handler's, or undefined to send the handler's own.
   */
  | {
      readonly kind: 'run';
      readonly run: IdempotentRun;
      readonly settle: (outcome: Outcome) => Promise<HttpResponse | undefined>;
    };

interface RequestRecord {
  readonly fingerprint: string;
}

/**
 * The framework-neutral middleware: `admit` decides, for one request, between answering from
 * storage and running the handler; the framework adapters (`@td7x/durable-x-http/hono`) only
 * translate requests and responses. See the README for the whole protocol.
 */
export const idempotency = (options: IdempotencyOptions) => {
  const { storage } = options;
  const clock = options.clock ?? systemClock;
  const leaseMs = options.leaseMs ?? 30_000;
  const expectedMs = options.expectedMs ?? 1_000;
  const store = options.store ?? ((status: number) => status < 500);
  const namespace = options.namespace ?? 'idempotency:';
  const codec = options.load?.codec ?? defaultCodec;
  const loadRun = load(storage, { ...options.load, leaseMs, clock })(options.cleanups ?? {});

  const runIdOf = (key: ParsedKey, scope: string | undefined): string =>
    scope === undefined ? `${namespace}${key}` : `${namespace}${encodeURIComponent(scope)}:${key}`;

  const admit = async (request: IncomingRequest): Promise<Admission> => {
    const key = parseKey(request.key);
    if (!key.ok) return { kind: 'answer', response: problem(400, 'Invalid Idempotency-Key', key.reason) };
    const runId = runIdOf(key.key, request.scope);
    const fingerprint = await fingerprintOf(request);
    let cp: Checkpoint;
    try {
      cp = await loadRun(runId);
    } catch (e) {
      if (isDurableXError(e, 'RunBusy')) return { kind: 'answer', response: await busy(runId, fingerprint) };
      if (isDurableXError(e, 'Cancelled')) return { kind: 'answer', response: cancelled() };
      if (isDurableXError(e, 'InvalidRunId')) {
        return { kind: 'answer', response: problem(400, 'Invalid Idempotency-Key', e.error.reason) };
      }
      throw e;
    }
    const step = durable(storage)(cp);
    const first = await step(REQUEST_STEP)()((): RequestRecord => ({ fingerprint }));
    if (first.fingerprint !== fingerprint) {
      if (!cp.replay) await release(cp, new Error('the Idempotency-Key was reused for another request'));
      return { kind: 'answer', response: mismatch() };
    }
    if (cp.replay) return { kind: 'answer', response: await replayed(step, runId) };
    const run: IdempotentRun = {
      key: key.key,
      runId,
      checkpoint: cp,
      step,
      beforeRisky: beforeRisky(storage)(cp),
      afterSafe: afterSafe(storage)(cp),
    };
    return { kind: 'run', run, settle: (outcome) => settle(cp, step, outcome) };
  };

  /** 409, or 422 when the request in progress is another one. */
  const busy = async (runId: string, fingerprint: string): Promise<HttpResponse> => {
    const snapshot = await inspectRun(storage)(runId).catch(() => undefined);
    const record = snapshot && requestRecordOf(snapshot);
    if (record && record.value.fingerprint !== fingerprint) return mismatch();
    const seconds = retryAfterSeconds(snapshot, clock.now(), { leaseMs, expectedMs, startedAt: record?.at });
    return problem(
      409,
      'Request in progress',
      'A request with this Idempotency-Key is being processed; retry after the time given.',
      [['retry-after', String(seconds)]],
    );
  };

  const requestRecordOf = (snapshot: RunSnapshot) => {
    const record = snapshot.steps.find(
      (s) => s.name === REQUEST_STEP && s.key.startsWith(`${REQUEST_STEP}#`),
    );
    if (record === undefined) return undefined;
    try {
      return { value: codec.decode(record.output) as RequestRecord, at: record.at };
    } catch {
      return undefined;
    }
  };

  const replayed = async (step: IdempotentRun['step'], runId: string): Promise<HttpResponse> => {
    try {
      const stored = await step(RESPONSE_STEP)()((): HttpResponse => {
        throw new Error('unreachable: a completed run records no new step');
      });
      return { ...stored, headers: [...stored.headers, [REPLAYED_HEADER, 'true']] };
    } catch (e) {
      // A completed run without a response: the key names a run this middleware did not make.
      if (isDurableXError(e, 'RunCompleted')) return mismatch();
      throw new Error(`replaying the response of run ${JSON.stringify(runId)} failed`, { cause: e });
    }
  };

  const settle = async (
    cp: Checkpoint,
    step: IdempotentRun['step'],
    outcome: Outcome,
  ): Promise<HttpResponse | undefined> => {
    if ('error' in outcome) {
      const e = outcome.error;
      // The key was taken from this request (its lease ran out) or cancelled: the other holder answers.
      if (isDurableXError(e, 'LeaseLost') || isDurableXError(e, 'Cancelled')) return conflictAfterTakeover();
      await release(cp, e);
      return undefined;
    }
    const { response } = outcome;
    if (!store(response.status)) {
      await release(
        cp,
        new Error(`the handler answered ${response.status}; not stored, the key may be retried`),
      );
      return undefined;
    }
    try {
      const stored = await step(RESPONSE_STEP)()(() => response);
      await complete(storage)(cp);
      return stored === response ? undefined : stored;
    } catch (e) {
      if (isDurableXError(e, 'LeaseLost') || isDurableXError(e, 'Cancelled')) return conflictAfterTakeover();
      // The storage failed: this client gets its answer; a duplicate runs the handler again,
      // whose finished steps are skipped.
      await release(cp, e);
      return undefined;
    }
  };

  /** Fails the run so its key may be retried at once; memoized steps stay, cleanups run. */
  const release = async (cp: Checkpoint, error: unknown): Promise<void> => {
    await fail(storage)(cp)(error).catch(() => {});
  };

  return { admit };
};

const mismatch = (): HttpResponse =>
  problem(
    422,
    'Idempotency-Key reused',
    'This Idempotency-Key was used for a request with another method, path or body.',
  );

const cancelled = (): HttpResponse =>
  problem(409, 'Request cancelled', 'The request with this Idempotency-Key was cancelled; use a new key.');

const conflictAfterTakeover = (): HttpResponse =>
  problem(
    409,
    'Request taken over',
    'Another attempt took this Idempotency-Key over; retry to get its response.',
    [['retry-after', '1']],
  );
