import { isDeepStrictEqual } from 'node:util';
import type { ChildOutcome, LedgerEntry } from '@td7x/testing/crash';

/**
 * N processes started the same run at once: exactly one executed each step (once) and completed
 * the run; every other one got `RunBusy` or the memoized results, equal to the completed output.
 */
export const raceSound = (
  outcomes: readonly ChildOutcome[],
  ledger: readonly LedgerEntry[],
  steps: readonly string[],
): string[] => {
  const violations: string[] = [];
  for (const o of outcomes) {
    if (o.kind === 'error') violations.push(`${o.label} failed with ${o.type}: ${o.error.split('\n')[0]}`);
    if (o.kind === 'killed') violations.push(`${o.label} was killed`);
  }
  const completed = outcomes.filter((o) => o.kind === 'completed');
  if (completed.length !== 1)
    violations.push(`${completed.length} processes completed the run, not exactly 1`);
  const output = completed[0]?.output;
  for (const o of outcomes) {
    if (o.kind === 'memoized' && !isDeepStrictEqual(o.output, output)) {
      violations.push(`${o.label} replayed ${JSON.stringify(o.output)}, not ${JSON.stringify(output)}`);
    }
  }
  for (const step of steps) {
    const runs = ledger.filter((e) => e.kind === 'step' && e.name === step);
    if (runs.length !== 1) violations.push(`step ${step} executed ${runs.length} times`);
    else if (completed[0] && runs[0]!.child !== completed[0].label) {
      violations.push(
        `step ${step} executed by ${runs[0]!.child}, not by the process that completed the run`,
      );
    }
  }
  const cleanups = ledger.filter((e) => e.kind === 'cleanup').length;
  if (cleanups > 0) violations.push(`${cleanups} cleanup(s) ran in a race without a crash`);
  return violations;
};
