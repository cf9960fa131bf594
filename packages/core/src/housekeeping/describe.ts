import { okAsync, type ResultAsync } from 'neverthrow';
import { type Codec, defaultCodec } from '../codec/codec.ts';
import type { StorageUnavailable } from '../errors.ts';
import {
  attemptKey,
  failedAttempts,
  isStepKey,
  signalKey,
  sleepKey,
  VERSION_KEY,
  waitKey,
} from '../run/keys.ts';
import { receivedOf } from '../run/signal-record.ts';
import { decodeValue } from '../run/values.ts';
import { versionOf } from '../run/version.ts';
import { callStorage } from '../storage/call.ts';
import type { CleanupRecord, RunHead, RunSnapshot, StepRecord, Storage } from '../storage/contract.ts';

/** A step as an operator wants to see it: done or not, after how many attempts, the last error. */
export interface StepView {
  readonly name: string;
  readonly key: string;
  /** `recorded`: its output is memoized. `failing`: only failed attempts so far. */
  readonly state: 'recorded' | 'failing';
  /** Attempts made (failed ones plus the one recorded, if any). */
  readonly attempts: number;
  /** The error of the latest failed attempt, decoded; undefined when none failed. */
  readonly lastError?: unknown;
  readonly at: number;
}

export interface RunDescription {
  readonly run: RunHead;
  readonly version: string | undefined;
  /** In the order they were recorded. */
  readonly steps: readonly StepView[];
  readonly sleeps: readonly { readonly name: string; readonly wakeAt: number }[];
  readonly waits: readonly { readonly name: string; readonly deadline: number }[];
  readonly signals: readonly {
    readonly name: string;
    readonly at: number;
    readonly kind: 'signal' | 'timeout';
    readonly payload?: unknown;
  }[];
  /** Pending, oldest first. */
  readonly cleanups: readonly CleanupRecord[];
}

/**
 * `inspectRun`, decoded: the run's steps with their attempts and last error, its sleeps, waits
 * and signals, its version. One storage read. Pass the run's codec if it is not the default.
 */
export const describeRun =
  (storage: Storage, options: { readonly codec?: Codec } = {}) =>
  (runId: string): ResultAsync<RunDescription | undefined, StorageUnavailable> =>
    callStorage(storage, 'read', runId).andThen((snapshot) =>
      okAsync(snapshot && describe(snapshot, options.codec ?? defaultCodec)),
    );

const bySeq = (a: { seq: number }, b: { seq: number }) => a.seq - b.seq;

const describe = (snapshot: RunSnapshot, codec: Codec): RunDescription => {
  const records = [...snapshot.steps].sort(bySeq);
  const byKey = new Map(records.map((r) => [r.key, r]));
  const is = (record: StepRecord, key: (name: string) => string) => record.key === key(record.name);
  return {
    run: snapshot.run,
    version: versionOf(byKey.get(VERSION_KEY)),
    steps: stepViews(records, byKey, codec, snapshot.run.runId),
    sleeps: records.filter((r) => is(r, sleepKey)).map((r) => ({ name: r.name, wakeAt: Number(r.output) })),
    waits: records.filter((r) => is(r, waitKey)).map((r) => ({ name: r.name, deadline: Number(r.output) })),
    signals: records
      .filter((r) => is(r, signalKey))
      .map((r) => {
        const received = receivedOf(codec, snapshot.run.runId, r).unwrapOr({
          kind: 'signal' as const,
          payload: undefined,
        });
        return { name: r.name, at: r.at, ...received };
      }),
    cleanups: [...snapshot.cleanups].sort(bySeq),
  };
};

const ATTEMPT = /^(.*#[0-9a-f]{64})#attempt(\d+)$/;

/** Steps recorded, and steps with failed attempts only, each once, in the order they began. */
const stepViews = (
  records: readonly StepRecord[],
  byKey: Map<string, StepRecord>,
  codec: Codec,
  runId: string,
): StepView[] => {
  const views = new Map<string, StepView>();
  for (const record of records) {
    const key = isStepKey(record.key) ? record.key : ATTEMPT.exec(record.key)?.[1];
    if (key === undefined || views.has(key)) continue;
    const failed = failedAttempts(byKey, key);
    const recorded = byKey.get(key);
    const last = failed > 0 ? byKey.get(attemptKey(key, failed)) : undefined;
    views.set(key, {
      name: record.name,
      key,
      state: recorded ? 'recorded' : 'failing',
      attempts: failed + (recorded ? 1 : 0),
      ...(last ? { lastError: decodeValue(codec, runId, 'attempt', last.output).unwrapOr(last.output) } : {}),
      at: (recorded ?? record).at,
    });
  }
  return [...views.values()];
};
