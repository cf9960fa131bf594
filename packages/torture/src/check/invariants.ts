/**
 * The invariants of a torture trial, as small pure functions over what the trial left: the ledger
 * (what really happened, outside durable-x), the final snapshot (what storage says) and the
 * crash-free reference output. Each returns the violations it found, in words; none is success.
 */
import { isDeepStrictEqual } from 'node:util';
import type { TortureEntry } from '../ledger.ts';
import type { AttemptOutcome } from '../protocol.ts';
import type { TortureOutput } from '../workflow.ts';

/** The final output equals the crash-free output. */
export const outputMatches = (output: TortureOutput | undefined, reference: TortureOutput): string[] =>
  output === undefined
    ? ['the run never completed']
    : isDeepStrictEqual(output, reference)
      ? []
      : [`final output ${JSON.stringify(output)} differs from the crash-free ${JSON.stringify(reference)}`];

/**
 * A step whose record was stored is never executed again, unless a cleanup ran after it was stored
 * (a cleanup's rollback forgets the steps recorded after the cleanup was registered: `rollbackable`).
 */
export const noReexecution = (
  entries: readonly TortureEntry[],
  rollbackable: readonly string[],
): string[] => {
  const stored = new Map<string, number>();
  const violations: string[] = [];
  entries.forEach((entry, line) => {
    if (entry.kind === 'stored') stored.set(entry.name, line);
    if (entry.kind === 'cleanup') for (const name of rollbackable) stored.delete(name);
    if (entry.kind === 'step' && stored.has(entry.name)) {
      violations.push(
        `step ${entry.name} executed again in attempt ${entry.attempt} (ledger line ${line + 1}) after its record was stored (line ${stored.get(entry.name)! + 1})`,
      );
    }
  });
  return violations;
};

/**
 * Every risky effect that was not the one finally kept was compensated after it was made, and the
 * effect finally kept (`kept`, the token in the stored upload record) was never compensated.
 */
export const compensations = (entries: readonly TortureEntry[], kept: string | undefined): string[] => {
  const violations: string[] = [];
  const effects = entries.flatMap((e, line) =>
    e.kind === 'step' && e.token !== undefined ? [{ e, line }] : [],
  );
  if (kept === undefined) violations.push('no upload record is stored in the completed run');
  else if (!effects.some(({ e }) => e.token === kept)) {
    violations.push(`the stored upload (token ${kept}) matches no effect in the ledger`);
  }
  for (const { e, line } of effects) {
    const undone = entries.some((c, at) => at > line && c.kind === 'cleanup' && c.token === e.token);
    if (e.token !== kept && !undone) {
      violations.push(
        `effect ${e.token} of attempt ${e.attempt} was neither kept nor compensated (lost cleanup)`,
      );
    }
  }
  for (const c of entries) {
    if (c.kind === 'cleanup' && c.token === kept) {
      violations.push(
        `cleanup ran in attempt ${c.attempt} for the effect ${kept} that the run kept (made safe)`,
      );
    }
  }
  return violations;
};

/** What storage holds at the end, reduced to what the invariants need. */
export interface FinalState {
  readonly status: string | undefined;
  readonly owner: string | null | undefined;
  readonly pendingCleanups: number;
  /** Steps stored, by name. */
  readonly steps: readonly string[];
}

export const finalStateSound = (final: FinalState, expectedSteps: readonly string[]): string[] => {
  const violations: string[] = [];
  if (final.status !== 'completed')
    violations.push(`final status is ${final.status ?? 'absent'}, not completed`);
  if (final.owner !== null) violations.push(`a completed run still has an owner (${String(final.owner)})`);
  if (final.pendingCleanups !== 0)
    violations.push(`${final.pendingCleanups} cleanup(s) left pending on a completed run`);
  const missing = expectedSteps.filter((s) => !final.steps.includes(s));
  if (missing.length > 0) violations.push(`completed run lacks the records of ${missing.join(', ')}`);
  const duplicated = final.steps.filter((s, i) => final.steps.indexOf(s) !== i);
  if (duplicated.length > 0) violations.push(`steps stored twice: ${duplicated.join(', ')}`);
  return violations;
};

/** An attempt ends killed (by its plan) or completed; any other end is a violation. */
export const attemptsClean = (attempts: readonly AttemptOutcome[]): string[] =>
  attempts.flatMap((a, i) =>
    a.kind === 'error'
      ? [`attempt ${i + 1} failed with ${a.type}: ${a.message.split('\n')[0]}`]
      : a.kind === 'lost'
        ? [`attempt ${i + 1} ended without an outcome: ${a.detail}`]
        : [],
  );

/** After a recovery pass at a clock past the lease, nothing of the run is left running and abandoned. */
export const notStuck = (abandonedAfterRecovery: readonly string[], runId: string): string[] =>
  abandonedAfterRecovery.includes(runId)
    ? [`run ${runId} is left running with an expired lease after recovery`]
    : [];
