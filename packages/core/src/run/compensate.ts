import { err, errAsync, ok, okAsync, ResultAsync } from 'neverthrow';
import type {
  CleanupFailed,
  LeaseLost,
  NotDecodable,
  StorageUnavailable,
  UnknownCleanup,
} from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { CleanupRecord, Storage } from '../storage/contract.ts';
import { markLost, release } from './lease.ts';
import type { CleanupParams } from './registry.ts';
import type { Session } from './session.ts';
import { runUserCode } from './user-code.ts';
import { decodeValue } from './values.ts';

export type CompensateError = CleanupFailed | UnknownCleanup | NotDecodable | StorageUnavailable | LeaseLost;

/**
 * Runs the pending cleanups newest first (SPEC 2 and 3). Each one that succeeds is removed
 * together with every step recorded after it was registered, in one atomic storage call, since
 * the cleanup may have undone what those steps did. The first failure stops the walk: it and all
 * older cleanups stay pending for the next attempt, because a saga undoes in reverse order.
 * Names are checked against the registry first, so an unknown one stops everything before any runs.
 */
export const compensate = (
  session: Session,
  storage: Storage = session.storage,
): ResultAsync<readonly string[], CompensateError> => {
  const unknown = session.pending.map((c) => c.name).filter((name) => !Object.hasOwn(session.registry, name));
  if (unknown.length > 0) {
    return errAsync({ type: 'UnknownCleanup', runId: session.runId, names: [...new Set(unknown)] });
  }
  const newestFirst = [...session.pending].reverse();
  return newestFirst.reduce<ResultAsync<string[], CompensateError>>(
    (done, cleanup) =>
      done.andThen((names) => runOne(session, storage, cleanup).map(() => [...names, cleanup.name])),
    okAsync([]),
  );
};

/**
 * `compensate`, and when it fails, release the lease (keeping the owner) so that the next
 * attempt, in any process, may claim the run at once to retry the cleanups.
 */
export const compensateOrRelease = (session: Session): ResultAsync<readonly string[], CompensateError> =>
  compensate(session).orElse((error) => {
    session.keeper.stop();
    return release(session).andThen(() => errAsync(error));
  });

const runOne = (
  session: Session,
  storage: Storage,
  cleanup: CleanupRecord,
): ResultAsync<void, CompensateError> => {
  const params = decodeValue(
    session.codec,
    session.runId,
    `params of cleanup ${cleanup.name}`,
    cleanup.params,
  );
  if (params.isErr()) return errAsync(params.error);
  const runner = session.registry[cleanup.name]!;
  const end = session.keeper.begin();
  return ResultAsync.fromSafePromise(runUserCode(() => runner(params.value as CleanupParams)))
    .andThen((outcome) => {
      if (outcome.isOk()) return ok(undefined);
      session.emit({
        type: 'cleanup.failed',
        runId: session.runId,
        name: cleanup.name,
        cause: outcome.error,
      });
      return err<never, CleanupFailed>({
        type: 'CleanupFailed',
        runId: session.runId,
        cleanup: cleanup.name,
        cause: outcome.error,
      });
    })
    .andThen(() =>
      callStorage(storage, 'rollback', {
        runId: session.runId,
        owner: session.owner,
        cleanupId: cleanup.id,
        afterSeq: cleanup.seq,
      }),
    )
    .andThen((outcome) => (outcome === 'lease-lost' ? markLost(session, 'rollback') : okAsync(undefined)))
    .map(() => forget(session, cleanup))
    .andTee(() => end())
    .orTee(() => end());
};

/** Mirrors the storage's rollback in this process's memory. */
const forget = (session: Session, cleanup: CleanupRecord): void => {
  let forgot = 0;
  for (const [key, step] of session.memo) {
    if (step.seq > cleanup.seq) {
      session.memo.delete(key);
      forgot++;
    }
  }
  session.pending = session.pending.filter((c) => c.id !== cleanup.id);
  session.cleanupsRun.push(cleanup.name);
  session.emit({ type: 'cleanup.ran', runId: session.runId, name: cleanup.name, forgotSteps: forgot });
};
