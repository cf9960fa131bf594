import type { ClaimOutcome, CleanupRecord, RunSnapshot, StepRecord, Storage } from '@td7x/durable-x';
import { expect } from 'vitest';
import { LEASE_MS, normalized, uniqueRunId } from './context.ts';

/** Direct contract calls, for the suites that test storage operations without the core. */
export const claimAs = (storage: Storage, runId: string, owner: string, now: number): Promise<ClaimOutcome> =>
  storage.claim({ runId, owner, now, leaseMs: LEASE_MS });

export const stepRecord = (key: string, seq: number, at: number, output = `"${key}"`): StepRecord => ({
  key,
  name: key.split('#')[0] ?? key,
  seq,
  output,
  at,
});

export const cleanupRecord = (
  id: number,
  at: number,
  name = `undo-${id}`,
  params = `{"id":${id}}`,
): CleanupRecord => ({ id, name, seq: id, params, at });

/** A run freshly created by `owner`'s claim at `now`; its id. */
export const createdRun = async (
  storage: Storage,
  label: string,
  now: number,
  owner = 'a',
): Promise<string> => {
  const runId = uniqueRunId(label);
  const created = await claimAs(storage, runId, owner, now);
  expect(created.kind, `claim of the absent run ${runId}: creates it`).toBe('claimed');
  return runId;
};

/** What `read` gives, with records in a fixed order. */
export const stored = async (storage: Storage, runId: string) => normalized(await storage.read(runId));

/** Fails with `rule` when the run changed since `before` was read. */
export const expectUnchanged = async (
  storage: Storage,
  runId: string,
  before: ReturnType<typeof normalized>,
  rule: string,
): Promise<void> => {
  expect(await stored(storage, runId), `${rule}: the stored run must not change`).toEqual(before);
};

/** The snapshot in a claim outcome, normalized; undefined when the claim holds none. */
export const snapshotOf = (outcome: ClaimOutcome): ReturnType<typeof normalized> =>
  outcome.kind === 'claimed' || outcome.kind === 'completed' ? normalized(outcome.snapshot) : undefined;

/** Asserts that a claim answered `claimed` and returns its snapshot. */
export const claimedSnapshot = (outcome: ClaimOutcome, rule: string): RunSnapshot => {
  expect(outcome.kind, rule).toBe('claimed');
  if (outcome.kind !== 'claimed') throw new Error(rule);
  return outcome.snapshot;
};
