import { err, ok, type Result } from 'neverthrow';
import type { StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { StepRecord } from '../storage/contract.ts';
import { type CompensateError, compensate, INTERRUPTED } from './compensate.ts';
import { fencedWrite, type Refusal, refusal } from './gateway.ts';
import type { RunHandle } from './handle.ts';
import { VERSION_KEY } from './keys.ts';
import { recordOnce } from './step.ts';

/*
 * Run versions. The stored version is a record of the run like a step's (`#version`, encoded as
 * a JSON string). A run recorded under another version, or under none while it has records, is
 * restarted: pending cleanups run newest first (they undo what the old code did), then every
 * record but the signals is forgotten in one rollback, then the new version is recorded.
 */

export const applyVersion = async (
  run: RunHandle,
  version: string | undefined,
): Promise<Result<void, CompensateError | Refusal | StorageUnavailable>> => {
  if (version === undefined || run.state.kind !== 'running') return ok(undefined);
  const stored = versionOf(run.records.get(VERSION_KEY));
  if (stored === version) return ok(undefined);
  const hasRecords = [...run.records.values()].some((r) => r.seq > 0);
  const restart = hasRecords || run.pending.length > 0;
  const cleanupsBefore = run.cleanupsRun.length;
  if (restart) {
    const forgotten = await forgetEverything(run);
    if (forgotten.isErr()) return err(forgotten.error);
  }
  const recorded = await recordOnce(run, 'load', {
    key: VERSION_KEY,
    name: 'version',
    seq: ++run.seq,
    output: JSON.stringify(version),
    at: run.clock.now(),
  });
  if (recorded.isErr()) return err(recorded.error);
  if (restart) {
    run.emit({
      type: 'run.restarted',
      runId: run.runId,
      from: stored ?? null,
      to: version,
      cleanupsRun: run.cleanupsRun.slice(cleanupsBefore),
    });
  }
  return ok(undefined);
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

const forgetEverything = async (
  run: RunHandle,
): Promise<Result<void, CompensateError | Refusal | StorageUnavailable>> => {
  const compensated = await compensate(run, 'running', 'memory');
  if (compensated.isErr())
    return compensated.error === INTERRUPTED
      ? refusal(run, 'load')
      : err(compensated.error as CompensateError);
  const rolledBack = await fencedWrite(run, {
    op: 'load',
    undoing: true,
    send: () =>
      callStorage(run.storage, 'rollback', { runId: run.runId, owner: run.owner, cleanupId: 0, afterSeq: 0 }),
    verdict: (answer) => answer,
  });
  if (rolledBack.isErr()) return err(rolledBack.error);
  if (run.state.kind !== 'running') return refusal(run, 'load');
  for (const [key, record] of run.records) if (record.seq > 0) run.records.delete(key);
  return ok(undefined);
};
