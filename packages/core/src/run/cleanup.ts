import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type {
  InvalidName,
  NotEncodable,
  PayloadTooLarge,
  StorageUnavailable,
  UnknownCleanup,
} from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { CleanupRecord, Storage } from '../storage/contract.ts';
import { fencedOff, type Refused, refused } from './cancellation.ts';
import { checkName } from './names.ts';
import type { CleanupParams } from './registry.ts';
import { type Checkpoint, type Session, sessionOf } from './session.ts';
import { encodeValue } from './values.ts';

export type CleanupError = InvalidName | UnknownCleanup | NotEncodable | PayloadTooLarge | Refused;

/**
 * Persists `{ name, params }` BEFORE a risky operation, so that a crash at any instant after it
 * leaves a cleanup that the next load runs. The name must have a runner in the registry given
 * to `load`: an unknown name is refused now rather than discovered after a crash.
 * On a completed run (a replay) it does nothing.
 */
export const beforeRisky =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  (params: CleanupParams = {}): ResultAsync<void, CleanupError> => {
    const session = sessionOf(cp);
    if (session.completed) return okAsync(undefined);
    const checked = checkName('cleanup', name);
    if (checked.isErr()) return errAsync(checked.error);
    if (!Object.hasOwn(session.registry, name)) {
      return errAsync({ type: 'UnknownCleanup', runId: session.runId, names: [name] });
    }
    if (session.lost) return refused(session, 'beforeRisky');
    const encoded = encodeValue(session.codec, storage.maxValueBytes, 'params', params);
    if (encoded.isErr()) return errAsync(encoded.error);
    if (adopt(session, name, encoded.value)) return okAsync(undefined);
    const seq = ++session.seq;
    const record: CleanupRecord = { id: seq, name, seq, params: encoded.value, at: session.clock.now() };
    return write(session, 'putCleanup', () =>
      callStorage(storage, 'putCleanup', { runId: session.runId, owner: session.owner, record }),
    ).map(() => {
      session.pending.push(record);
      session.emit({ type: 'cleanup.registered', runId: session.runId, name });
    });
  };

/**
 * Removes the newest pending cleanup of that name once the risky operation is safe.
 * Nothing pending under that name (or a completed run) is not an error.
 */
export const afterSafe =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string): ResultAsync<void, Refused> => {
    const session = sessionOf(cp);
    const target = session.pending.findLast((c) => c.name === name);
    if (session.completed || !target) return okAsync(undefined);
    if (session.lost) return refused(session, 'afterSafe');
    return write(session, 'removeCleanup', () =>
      callStorage(storage, 'removeCleanup', {
        runId: session.runId,
        owner: session.owner,
        id: target.id,
      }),
    ).map(() => {
      session.pending = session.pending.filter((c) => c.id !== target.id);
      session.emit({ type: 'cleanup.cleared', runId: session.runId, name });
    });
  };

/**
 * On the replay after a suspension, the registration that left this cleanup pending runs again:
 * it takes over the stored one (same name and params, oldest first) instead of adding a twin.
 */
const adopt = (session: Session, name: string, params: string): boolean => {
  const index = session.inherited.findIndex(
    (c) => c.name === name && c.params === params && session.pending.includes(c),
  );
  if (index < 0) return false;
  session.inherited.splice(index, 1);
  session.emit({ type: 'cleanup.registered', runId: session.runId, name });
  return true;
};

const write = (
  session: Session,
  op: string,
  call: () => ResultAsync<'ok' | 'lease-lost', StorageUnavailable>,
): ResultAsync<void, Refused> => {
  const end = session.keeper.begin();
  return call()
    .andThen((outcome) => (outcome === 'lease-lost' ? fencedOff(session, op) : okAsync(undefined)))
    .andTee(() => end())
    .orTee(() => end());
};
