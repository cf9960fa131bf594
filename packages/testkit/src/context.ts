import {
  type Checkpoint,
  type CleanupRegistry,
  canonicalText,
  type LoadOptions,
  load,
  type ManualClock,
  manualClock,
  type RunSnapshot,
  type Storage,
  sha256Hex,
} from '@td7x/durable-x';
import type { ResultAsync } from 'neverthrow';
import { expect } from 'vitest';
import type { ConformanceHarness, ConformanceOptions } from './harness.ts';

/** What every suite gets: the harness (after setup) and a few shared helpers. */
export interface SuiteContext {
  readonly harness: () => ConformanceHarness;
  readonly options: Required<Omit<ConformanceOptions, 'groups'>>;
}

let counter = 0;
const session = Math.random().toString(36).slice(2, 8);

/** A run id no other test (or earlier run of this suite on the same namespace) uses. */
export const uniqueRunId = (label: string): string => `dx-test:${session}:${++counter}:${label}`;

export const LEASE_MS = 30_000;

/** A stand-in for one process: its own clock view, lease and event log. */
export const processOn = (storage: Storage, clock: ManualClock, options: Partial<LoadOptions> = {}) => {
  const events: string[] = [];
  return {
    events,
    load: (registry: CleanupRegistry, runId: string): Promise<Checkpoint> =>
      load(storage, {
        clock,
        leaseMs: LEASE_MS,
        onEvent: (e) => events.push('name' in e ? `${e.type}:${e.name}` : e.type),
        ...options,
      })(registry)(runId),
  };
};

export const newClock = (): ManualClock => manualClock(Date.UTC(2026, 0, 1));

/** Past any lease this suite takes, including one renewal after the last activity. */
export const LEASE_EXPIRY = LEASE_MS * 2;

/** The memo key the core computes for a step, recomputed independently. */
export const stepKeyOf = async (name: string, input: unknown): Promise<string> =>
  `${name}#${await sha256Hex(canonicalText(input))}`;

/** Waits for an async condition without fixed sleeps (renewals are fire-and-forget). */
export const eventually = async (check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) expect.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A promise the test resolves by hand: a step that takes as long as the test wants. */
export const gate = <T = void>() => {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
};

/** Asserts that a Result-returning operation failed with a typed error of `type`, and returns it. */
export const expectErr = async <E extends { type: string }, T extends E['type']>(
  result: ResultAsync<unknown, E>,
  type: T,
): Promise<Extract<E, { type: T }>> => {
  const outcome = await result;
  if (outcome.isOk()) expect.fail(`expected a ${type} error, got a value`);
  expect(outcome.error.type).toBe(type);
  return outcome.error as Extract<E, { type: T }>;
};

export const NO_CLEANUPS = {} as const;

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A snapshot with records in (seq, key) and (seq, id) order, so that two reads compare equal
 * whatever the backend's order (signals all have seq 0).
 */
export const normalized = (snapshot: RunSnapshot | undefined) =>
  snapshot && {
    run: snapshot.run,
    steps: [...snapshot.steps].sort((a, b) => a.seq - b.seq || byText(a.key, b.key)),
    cleanups: [...snapshot.cleanups].sort((a, b) => a.seq - b.seq || a.id - b.id),
  };

/**
 * The first instant of a year of (injected) time that one test owns, so that the runs it lists or
 * purges are told apart from everything the other tests left in the shared namespace (which live
 * in 2026). A purge deletes every older match, so the purge tests own the oldest years.
 * Taken: 1970-1972 purge, 1980-1983 listing, 1990/1995/1996 housekeeping.
 */
export const era = (year: number): number => Date.UTC(year, 0, 1);
