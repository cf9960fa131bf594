import type { ChildOutcome, LedgerEntry } from '@td7x/testing/crash';
import { describe, expect, it } from 'vitest';
import { raceSound } from '../src/check/race.ts';

const completed = (label: string): ChildOutcome => ({
  kind: 'completed',
  label,
  attempt: 1,
  output: { v: 1 },
  cleanupsRun: [],
  events: [],
});
const ran = (child: string, name: string): LedgerEntry => ({ child, pid: 1, kind: 'step', name });

describe('raceSound', () => {
  it('accepts one completer that ran every step, the others busy or memoized', () => {
    const outcomes: ChildOutcome[] = [
      completed('r1'),
      { kind: 'busy', label: 'r2' },
      { kind: 'memoized', label: 'r3', output: { v: 1 }, events: [] },
    ];
    expect(raceSound(outcomes, [ran('r1', 'a'), ran('r1', 'b')], ['a', 'b'])).toEqual([]);
  });
  it('reports two completers, a step run twice or by another process, a wrong replay, an error', () => {
    const outcomes: ChildOutcome[] = [
      completed('r1'),
      completed('r2'),
      { kind: 'memoized', label: 'r3', output: { v: 2 }, events: [] },
      { kind: 'error', label: 'r4', type: 'untyped', error: 'boom', exitCode: 1, stderr: '' },
    ];
    const violations = raceSound(outcomes, [ran('r1', 'a'), ran('r2', 'a'), ran('r2', 'b')], ['a', 'b']);
    expect(violations).toEqual([
      'r4 failed with untyped: boom',
      '2 processes completed the run, not exactly 1',
      'r3 replayed {"v":2}, not {"v":1}',
      'step a executed 2 times',
      'step b executed by r2, not by the process that completed the run',
    ]);
  });
});
