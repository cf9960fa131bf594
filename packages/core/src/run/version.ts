import { okAsync, type ResultAsync } from 'neverthrow';
import { callStorage } from '../storage/call.ts';
import type { Refused } from './cancellation.ts';
import { fencedOff } from './cancellation.ts';
import { type CompensateError, compensate } from './compensate.ts';
import { VERSION_KEY } from './keys.ts';
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
  const stored = storedVersion(session);
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

const storedVersion = (session: Session): string | undefined => {
  const record = session.memo.get(VERSION_KEY);
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

const recordVersion = (session: Session, version: string): ResultAsync<void, Refused> => {
  const record = {
    key: VERSION_KEY,
    name: 'version',
    seq: ++session.seq,
    output: JSON.stringify(version),
    at: session.clock.now(),
  };
  return callStorage(session.storage, 'putStep', {
    runId: session.runId,
    owner: session.owner,
    record,
  }).andThen((outcome) => {
    if (outcome.kind === 'lease-lost') return fencedOff(session, 'putStep');
    session.memo.set(VERSION_KEY, outcome.kind === 'exists' ? outcome.record : record);
    return okAsync(undefined);
  });
};
