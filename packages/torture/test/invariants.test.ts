import { describe, expect, it } from 'vitest';
import {
  attemptsClean,
  compensations,
  finalStateSound,
  noReexecution,
  notStuck,
  outputMatches,
} from '../src/check/invariants.ts';
import type { TortureEntry } from '../src/ledger.ts';
import type { TortureOutput } from '../src/workflow.ts';

// A checker that never fails proves nothing: each invariant is fed a ledger that breaks it.

const reference: TortureOutput = {
  url: 'mem://bucket/r.json',
  words: 512,
  thumbnail: 'thumb-512.png',
  metadata: { words: 512, lang: 'en' },
  published: 'published:mem://bucket/r.json',
};

const step = (attempt: number, name: string, token?: string): TortureEntry => ({
  attempt,
  kind: 'step',
  name,
  ...(token ? { token } : {}),
});
const stored = (attempt: number, name: string): TortureEntry => ({ attempt, kind: 'stored', name });
const cleanup = (attempt: number, token: string): TortureEntry => ({
  attempt,
  kind: 'cleanup',
  name: 'delete_upload',
  token,
});

describe('outputMatches', () => {
  it('accepts the crash-free output', () => expect(outputMatches({ ...reference }, reference)).toEqual([]));
  it('reports a different output and a run that never completed', () => {
    expect(outputMatches({ ...reference, words: 511 }, reference)).toHaveLength(1);
    expect(outputMatches(undefined, reference)).toEqual(['the run never completed']);
  });
});

describe('noReexecution', () => {
  it('accepts a step executed again when its record never reached storage', () => {
    expect(noReexecution([step(1, 'fetch'), step(2, 'fetch'), stored(2, 'fetch')], ['upload'])).toEqual([]);
  });
  it('reports a stored step executed again', () => {
    const ledger = [step(1, 'fetch'), stored(1, 'fetch'), step(2, 'fetch')];
    expect(noReexecution(ledger, ['upload'])).toEqual([
      'step fetch executed again in attempt 2 (ledger line 3) after its record was stored (line 2)',
    ]);
  });
  it('accepts a rolled-back step executed again after a cleanup, but not a step the cleanup cannot forget', () => {
    const ledger = [
      step(1, 'parse'),
      stored(1, 'parse'),
      step(1, 'upload', 't1'),
      stored(1, 'upload'),
      cleanup(2, 't1'),
      step(2, 'upload', 't2'),
      step(2, 'parse'),
    ];
    expect(noReexecution(ledger, ['upload'])).toEqual([
      'step parse executed again in attempt 2 (ledger line 7) after its record was stored (line 2)',
    ]);
  });
});

describe('compensations', () => {
  it('accepts: the effect not kept was compensated, the kept one was not', () => {
    const ledger = [step(1, 'upload', 't1'), cleanup(2, 't1'), step(2, 'upload', 't2')];
    expect(compensations(ledger, 't2')).toEqual([]);
  });
  it('accepts a cleanup that ran for an effect never made (killed before the upload)', () => {
    expect(compensations([cleanup(2, 't1'), step(2, 'upload', 't2')], 't2')).toEqual([]);
  });
  it('reports a lost cleanup', () => {
    const ledger = [step(1, 'upload', 't1'), step(2, 'upload', 't2')];
    expect(compensations(ledger, 't2')).toEqual([
      'effect t1 of attempt 1 was neither kept nor compensated (lost cleanup)',
    ]);
  });
  it('reports a cleanup that ran BEFORE its effect as not compensating it', () => {
    const ledger = [cleanup(1, 't1'), step(1, 'upload', 't1'), step(2, 'upload', 't2')];
    expect(compensations(ledger, 't2')).toHaveLength(1);
  });
  it('reports a cleanup run for the effect the run kept', () => {
    const ledger = [step(1, 'upload', 't1'), cleanup(2, 't1')];
    expect(compensations(ledger, 't1')).toEqual([
      'cleanup ran in attempt 2 for the effect t1 that the run kept (made safe)',
    ]);
  });
  it('reports a kept upload that matches no effect, and a missing upload record', () => {
    expect(compensations([step(1, 'upload', 't1'), cleanup(1, 't1')], 'ghost')).toContain(
      'the stored upload (token ghost) matches no effect in the ledger',
    );
    expect(compensations([], undefined)).toEqual(['no upload record is stored in the completed run']);
  });
});

describe('finalStateSound', () => {
  const steps = ['fetch', 'upload'];
  it('accepts a completed run with every step and nothing pending', () => {
    expect(finalStateSound({ status: 'completed', owner: null, pendingCleanups: 0, steps }, steps)).toEqual(
      [],
    );
  });
  it('reports a running, owned run with a pending cleanup, a missing and a duplicated step', () => {
    const violations = finalStateSound(
      { status: 'running', owner: 'o', pendingCleanups: 1, steps: ['fetch', 'fetch'] },
      steps,
    );
    expect(violations).toHaveLength(5);
  });
});

describe('attemptsClean and notStuck', () => {
  it('accepts kills and completions, reports errors and silent ends', () => {
    expect(attemptsClean([{ kind: 'killed' }])).toEqual([]);
    expect(
      attemptsClean([
        { kind: 'error', type: 'LeaseLost', message: 'lost\nstack' },
        { kind: 'lost', detail: 'exited 1' },
      ]),
    ).toEqual(['attempt 1 failed with LeaseLost: lost', 'attempt 2 ended without an outcome: exited 1']);
  });
  it('reports a run left abandoned', () => {
    expect(notStuck(['a'], 'b')).toEqual([]);
    expect(notStuck(['a', 'b'], 'b')).toHaveLength(1);
  });
});
