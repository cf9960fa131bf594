import { err, errAsync, ok, okAsync, type Result, ResultAsync } from 'neverthrow';
import type {
  InvalidArgument,
  InvalidName,
  NotEncodable,
  PayloadTooLarge,
  StorageUnavailable,
  UnknownCleanup,
} from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { CleanupRecord, Storage } from '../storage/contract.ts';
import { fencedWrite, type Refusal, refusal } from './gateway.ts';
import { type Checkpoint, handleOf, type RunHandle, type Window } from './handle.ts';
import { safeKey } from './keys.ts';
import { checkName } from './names.ts';
import type { CleanupParams } from './registry.ts';
import { encodeValue } from './values.ts';

export type CleanupError =
  | InvalidArgument
  | InvalidName
  | UnknownCleanup
  | NotEncodable
  | PayloadTooLarge
  | StorageUnavailable
  | Refusal;

/**
 * Persists `{ name, params }` BEFORE a risky operation, so that a crash at any instant after it
 * leaves a cleanup that the next load runs. The name must have a runner in the registry given
 * to `load`: an unknown name is refused now rather than discovered after a crash.
 * On a completed run (a replay) it does nothing. After a wake-up from a sleep or a wait, the
 * replayed registrations adopt the ones made before the suspension (see `adopt`).
 */
export const beforeRisky =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string) =>
  (params: CleanupParams = {}): ResultAsync<void, CleanupError> => {
    const run = handleOf(storage, cp);
    if (run.isErr()) return errAsync(run.error);
    return new ResultAsync(register(run.value, name, params));
  };

const register = async (
  run: RunHandle,
  name: string,
  params: CleanupParams,
): Promise<Result<void, CleanupError>> => {
  if (run.state.kind === 'replaying') return ok(undefined);
  const checked = checkName('cleanup', name);
  if (checked.isErr()) return err(checked.error);
  if (!Object.hasOwn(run.registry, name))
    return err({ type: 'UnknownCleanup', runId: run.runId, names: [name] });
  const encoded = encodeValue(run.codec, run.storage.maxValueBytes, 'params', params);
  if (encoded.isErr()) return err(encoded.error);
  if (run.state.kind !== 'running') return refusal(run, 'beforeRisky');
  const n = (run.opened.get(name) ?? 0) + 1;
  run.opened.set(name, n);
  // A window an earlier attempt closed: its operation is safe, nothing to guard on this replay.
  if (run.records.has(safeKey(name, n))) return open(run, name, { n, cleanup: undefined });
  const adopted = adopt(run, name);
  if (adopted) return open(run, name, { n, cleanup: adopted });
  run.inherited = [];
  const seq = ++run.seq;
  const record: CleanupRecord = { id: seq, name, seq, params: encoded.value, at: run.clock.now() };
  const end = run.keeper.begin();
  const written = await fencedWrite(run, {
    op: 'beforeRisky',
    undoing: false,
    send: () => callStorage(run.storage, 'putCleanup', { runId: run.runId, owner: run.owner, record }),
    verdict: (answer) => answer,
  });
  end();
  if (written.isErr()) {
    // Not registered: a retry of this call is the same opening of the window, not the next one.
    if (run.opened.get(name) === n) run.opened.set(name, n - 1);
    return err(written.error);
  }
  run.pending.push(record);
  run.emit({ type: 'cleanup.registered', runId: run.runId, name });
  return open(run, name, { n, cleanup: record });
};

const open = (run: RunHandle, name: string, window: Window): Result<void, never> => {
  const windows = run.windows.get(name) ?? [];
  windows.push(window);
  run.windows.set(name, windows);
  return ok(undefined);
};

/**
 * On the replay after a wake-up, the registration that left a cleanup pending before the run
 * parked runs again: it takes over the stored one instead of adding a twin. It matches by name
 * and position — the first registration of a name adopts the oldest inherited cleanup of that
 * name, the second the next — not by params, which may differ on replay (a `new Date()`); the
 * stored params are kept, since they describe what was done. Adoption ends with the replay's
 * first new write (a step that runs, a record, a registration that adopts nothing): from there
 * the run does new work, whose registrations are new.
 */
const adopt = (run: RunHandle, name: string): CleanupRecord | undefined => {
  const index = run.inherited.findIndex((c) => c.name === name);
  if (index < 0) return undefined;
  const [adopted] = run.inherited.splice(index, 1);
  run.emit({ type: 'cleanup.registered', runId: run.runId, name });
  return adopted;
};

/**
 * Closes the newest open risky window of that name once its operation is safe: removes its
 * cleanup and records that the window is closed, in one write (a replay then skips the window;
 * an older cleanup that runs later forgets the record with the window's steps). Nothing open under
 * that name (or a completed run) is not an error.
 */
export const afterSafe =
  (storage: Storage) =>
  (cp: Checkpoint) =>
  (name: string): ResultAsync<void, InvalidArgument | StorageUnavailable | Refusal> => {
    const run = handleOf(storage, cp);
    if (run.isErr()) return errAsync(run.error);
    if (run.value.state.kind === 'replaying') return okAsync(undefined);
    return new ResultAsync(close(run.value, name));
  };

const close = async (run: RunHandle, name: string): Promise<Result<void, StorageUnavailable | Refusal>> => {
  const window = run.windows.get(name)?.pop();
  // Closed on an earlier attempt (this replay skipped it), or never opened here.
  const target = window ? window.cleanup : run.pending.findLast((c) => c.name === name);
  if (!target || !run.pending.includes(target)) return ok(undefined);
  if (run.state.kind !== 'running') return refusal(run, 'afterSafe');
  const end = run.keeper.begin();
  const closed = await closeWindow(run, target, window?.n);
  end();
  if (closed.isErr()) {
    // Still open: a retry of this call closes this window, and records that it did.
    if (window) run.windows.get(name)?.push(window);
    return err(closed.error);
  }
  run.pending = run.pending.filter((c) => c.id !== target.id);
  run.inherited = run.inherited.filter((c) => c.id !== target.id);
  run.emit({ type: 'cleanup.cleared', runId: run.runId, name: target.name });
  return ok(undefined);
};

/** One write: the cleanup goes, and (for a window opened here) the record that it is closed. */
const closeWindow = (
  run: RunHandle,
  target: CleanupRecord,
  n: number | undefined,
): Promise<Result<unknown, StorageUnavailable | Refusal>> => {
  const record =
    n === undefined
      ? undefined
      : { key: safeKey(target.name, n), name: target.name, seq: ++run.seq, output: '1', at: run.clock.now() };
  return fencedWrite(run, {
    op: 'afterSafe',
    undoing: false,
    send: () =>
      callStorage(run.storage, 'removeCleanup', {
        runId: run.runId,
        owner: run.owner,
        id: target.id,
        ...(record === undefined ? {} : { record }),
      }),
    verdict: (answer) => answer,
  }).then((removed) => {
    if (removed.isOk() && record) run.records.set(record.key, record);
    return removed;
  });
};
