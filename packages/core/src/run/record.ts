import { err, ok, type Result } from 'neverthrow';
import { callStorage } from '../storage/call.ts';
import type { StepRecord, Storage } from '../storage/contract.ts';
import { fencedOff, type Refused } from './cancellation.ts';
import type { Session } from './session.ts';

/**
 * One fenced insert of a record of the run (a step's output, a failed attempt, a wake time, the
 * version), mirrored in the session's memo. The first record stored under a key wins: after a
 * lost race the stored one comes back, not ours, and `written` is false.
 */
export const recordOnce = async (
  session: Session,
  storage: Storage,
  record: StepRecord,
): Promise<Result<{ readonly record: StepRecord; readonly written: boolean }, Refused>> => {
  const outcome = await callStorage(storage, 'putStep', {
    runId: session.runId,
    owner: session.owner,
    record,
  });
  if (outcome.isErr()) return err(outcome.error);
  if (outcome.value.kind === 'lease-lost') return fencedOff(session, 'putStep');
  const kept = outcome.value.kind === 'exists' ? outcome.value.record : record;
  session.memo.set(kept.key, kept);
  return ok({ record: kept, written: outcome.value.kind === 'written' });
};
