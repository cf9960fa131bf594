import { okAsync, ResultAsync } from 'neverthrow';
import { callStorage } from '../storage/call.ts';
import type { StepRecord } from '../storage/contract.ts';
import { fencedOff, type Refused } from './cancellation.ts';
import { type CompensateError, compensate } from './compensate.ts';
import { VERSION_KEY } from './keys.ts';
import { recordOnce } from './record.ts';
import type { Session } from './session.ts';

/*
 * Run versions. The stored version is a record of the run like a step's (`#version`, encoded as
 * a JSON string). A run recorded under another version, or under none while it has records, is
 * restarted: pending cleanups run newest first (they undo what the old code did), then every
 * record but the signals is forgotten in one rollback, then the new version is recorded.
 */

export const applyVersion = (
  session: Session,
  version: string | undefined,
): ResultAsync<Session, CompensateError | Refused> => {
  if (version === undefined || session.completed) return okAsync(session);
  const stored = versionOf(session.memo.get(VERSION_KEY));
  if (stored === version) return okAsync(session);
  const hasRecords = [...session.memo.values()].some((r) => r.seq > 0);
  const restart = hasRecords || session.pending.length > 0;
  const cleanupsBefore = session.cleanupsRun.length;
  return (restart ? forgetEverything(session) : okAsync(undefined))
    .andThen(() => recordVersion(session, version))
    .map(() => {
      if (restart) {
        session.emit({
          type: 'run.restarted',
          runId: session.runId,
          from: stored ?? null,
          to: version,
          cleanupsRun: session.cleanupsRun.slice(cleanupsBefore),
        });
      }
      return session;
    });
};

/** The version a `#version` record holds; undefined when there is none (or it is unreadable). */
export const versionOf = (record: StepRecord | undefined): string | undefined => {
  if (!record) return undefined;
  try {
    const value: unknown = JSON.parse(record.output);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
};

const forgetEverything = (session: Session): ResultAsync<void, CompensateError | Refused> =>
  compensate(session)
    .andThen(() =>
      callStorage(session.storage, 'rollback', {
        runId: session.runId,
        owner: session.owner,
        cleanupId: 0,
        afterSeq: 0,
      }),
    )
    .andThen((outcome) => (outcome === 'lease-lost' ? fencedOff(session, 'rollback') : okAsync(undefined)))
    .map(() => {
      for (const [key, record] of session.memo) if (record.seq > 0) session.memo.delete(key);
    });

const recordVersion = (session: Session, version: string): ResultAsync<void, Refused> =>
  new ResultAsync(
    recordOnce(session, session.storage, {
      key: VERSION_KEY,
      name: 'version',
      seq: ++session.seq,
      output: JSON.stringify(version),
      at: session.clock.now(),
    }),
  ).map(() => undefined);
