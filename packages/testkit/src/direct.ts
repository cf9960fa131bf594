import type { ClaimOutcome, StepRecord, Storage } from '@td7x/durable-x';
import { LEASE_MS } from './context.ts';

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
