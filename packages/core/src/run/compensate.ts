import { err, ok, type Result } from 'neverthrow';
import type { CleanupFailed, NotDecodable, StorageUnavailable, UnknownCleanup } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { CleanupRecord } from '../storage/contract.ts';
import { runBody } from './activity.ts';
import { fencedWrite } from './gateway.ts';
import type { RunHandle } from './handle.ts';
import { freshLease } from './lease.ts';
import type { CleanupParams } from './registry.ts';
import { runUserCode } from './user-code.ts';
import { decodeValue } from './values.ts';

export type CompensateError = CleanupFailed | UnknownCleanup | NotDecodable | StorageUnavailable;

/** The run left the state the compensation was running in (lost, cancelled): the caller answers that. */
export const INTERRUPTED = { type: 'Interrupted' } as const;
export type Interrupted = typeof INTERRUPTED;

/**
 * Runs the pending cleanups newest first, while the run stays in `during` (`running` for a resume
 * or a `fail`, `cancelled` for undoing a cancellation). Each one that succeeds is removed together
 * with every step recorded after it was registered, in one fenced storage call, since the cleanup
 * may have undone what those steps did. The first failure stops the walk: it and all older
 * cleanups stay pending for the next attempt, because a saga undoes in reverse order. Names are
 * checked against the registry first, so an unknown one stops everything before any runs.
 *
 * One compensation at a time per run in this process, and a cleanup only starts once the lease is
 * proven fresh: a cleanup never runs twice at once, and a stale owner runs none.
 */
export const compensate = (
  run: RunHandle,
  during: 'running' | 'cancelled',
  from: 'memory' | 'storage',
): Promise<Result<void, CompensateError | Interrupted>> => {
  const task = async () => {
    if (from === 'storage' && run.pending.length > 0) {
      const read = await stored(run);
      if (read.isErr()) return err(read.error);
    }
    return walk(run, during);
  };
  const done = run.compensating.then(task, task);
  run.compensating = done;
  return done;
};

const walk = async (
  run: RunHandle,
  during: 'running' | 'cancelled',
): Promise<Result<void, CompensateError | Interrupted>> => {
  const unknown = run.pending.map((c) => c.name).filter((name) => !Object.hasOwn(run.registry, name));
  if (unknown.length > 0)
    return err({ type: 'UnknownCleanup', runId: run.runId, names: [...new Set(unknown)] });
  for (;;) {
    const cleanup = run.pending.at(-1);
    if (run.state.kind !== during) return err(INTERRUPTED);
    if (!cleanup) return ok(undefined);
    const lease = await freshLease(run);
    if (lease?.isErr())
      return lease.error.type === 'StorageUnavailable' ? err(lease.error) : err(INTERRUPTED);
    if (run.state.kind !== during) return err(INTERRUPTED);
    const ran = await runCleanup(run, cleanup);
    if (ran.isErr()) return err(ran.error);
  }
};

const runCleanup = async (
  run: RunHandle,
  cleanup: CleanupRecord,
): Promise<Result<void, CompensateError | Interrupted>> => {
  const params = decodeValue(run.codec, run.runId, `params of cleanup ${cleanup.name}`, cleanup.params);
  if (params.isErr()) return err(params.error);
  const runner = run.registry[cleanup.name]!;
  const end = run.keeper.begin();
  run.emit({ type: 'cleanup.started', runId: run.runId, name: cleanup.name });
  const outcome = await runBody(run.activity, { key: `cleanup ${cleanup.id}`, parent: undefined }, () =>
    runUserCode(runner, params.value as CleanupParams),
  );
  if (outcome.isErr()) {
    run.emit({ type: 'cleanup.failed', runId: run.runId, name: cleanup.name, cause: outcome.error });
    end();
    return err({ type: 'CleanupFailed', runId: run.runId, cleanup: cleanup.name, cause: outcome.error });
  }
  const rolledBack = await fencedWrite(run, {
    op: 'rollback',
    undoing: true,
    send: () =>
      callStorage(run.storage, 'rollback', {
        runId: run.runId,
        owner: run.owner,
        cleanupId: cleanup.id,
        afterSeq: cleanup.seq,
      }),
    verdict: (answer) => answer,
  });
  end();
  if (rolledBack.isErr()) {
    return rolledBack.error.type === 'StorageUnavailable' ? err(rolledBack.error) : err(INTERRUPTED);
  }
  forget(run, cleanup);
  return ok(undefined);
};

/**
 * What storage holds now, instead of what this process believes: a write whose answer was lost
 * (`afterSafe`, a rollback) may have removed a cleanup this process still counts as pending, and
 * running it would undo an operation declared safe. One read, on the paths that compensate in the
 * middle of a run (`fail`, undoing a cancellation) and only when a cleanup seems pending; a load
 * compensates from the snapshot its claim just returned.
 */
const stored = async (run: RunHandle): Promise<Result<void, StorageUnavailable>> => {
  const read = await callStorage(run.storage, 'read', run.runId);
  if (read.isErr()) return err(read.error);
  const snapshot = read.value;
  if (!snapshot) return ok(undefined);
  const ids = new Set(snapshot.cleanups.map((c) => c.id));
  run.pending = run.pending.filter((c) => ids.has(c.id));
  const keys = new Set(snapshot.steps.map((s) => s.key));
  for (const key of run.records.keys()) if (!keys.has(key)) run.records.delete(key);
  return ok(undefined);
};

/** Mirrors the storage's rollback in this process's memory. */
const forget = (run: RunHandle, cleanup: CleanupRecord): void => {
  let forgot = 0;
  for (const [key, record] of run.records) {
    if (record.seq > cleanup.seq) {
      run.records.delete(key);
      forgot++;
    }
  }
  run.pending = run.pending.filter((c) => c.id !== cleanup.id);
  run.inherited = run.inherited.filter((c) => c.id !== cleanup.id);
  run.cleanupsRun.push(cleanup.name);
  run.emit({ type: 'cleanup.ran', runId: run.runId, name: cleanup.name, forgotSteps: forgot });
};
