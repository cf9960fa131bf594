import type { RawRun } from '@td7x/durable-x-testkit';
import {
  type ChildOutcome,
  type LedgerEntry,
  REFERENCE_STEPS,
  type ReferenceOutput,
} from '@td7x/testing/crash';
import { describe, expect, it } from 'vitest';
import {
  type Attempt,
  attemptsClean,
  cancelRespected,
  compensations,
  duplicatesSound,
  finalStateSound,
  noReexecution,
  outputsMatch,
  recordsTrue,
} from '../src/check/invariants.ts';

// A checker that never fails proves nothing: each invariant is fed a ledger that breaks it.

const reference: ReferenceOutput = {
  url: 'mem://bucket/r.json',
  words: 512,
  thumbnail: 'thumb-512.png',
  metadata: { words: 512, lang: 'en' },
  approval: { by: 'ops', for: 'r' },
  charged: 'charged:mem://bucket/r.json',
  published: 'published:mem://bucket/r.json',
};

const at = (
  child: string,
  kind: LedgerEntry['kind'],
  name: string,
  exec?: string,
  detail?: string,
): LedgerEntry => ({
  child,
  pid: 1,
  kind,
  name,
  ...(exec === undefined ? {} : { exec }),
  ...(detail === undefined ? {} : { detail }),
});
const step = (child: string, name: string, exec: string) => at(child, 'step', name, exec);
const stored = (name: string, exec: string) => at('campaign', 'stored', name, exec);
const cleanup = (child: string, exec: string) => at(child, 'cleanup', 'rollback_upload', exec);

const attempt = (
  label: string,
  outcome: Partial<ChildOutcome> & { kind: ChildOutcome['kind'] },
  plan = 'none',
  startedAtLine = 0,
  ownerAfter: string | null = null,
): Attempt => {
  const [mode, k] = plan.split('#');
  return {
    label,
    plan: mode === 'none' ? { mode: 'none' } : ({ mode, k: Number(k) } as Attempt['plan']),
    outcome: { label, ...outcome } as ChildOutcome,
    startedAtLine,
    ownerAfter,
  };
};

const hash = 'a'.repeat(64);
const completedRun = (steps: readonly string[] = REFERENCE_STEPS): RawRun => ({
  status: 'completed',
  owner: null,
  stepKeys: steps.map((s) => `${s}#${hash}`),
  outputs: {},
  cleanupNames: [],
});

describe('attemptsClean', () => {
  it('accepts planned kills, lost answers, suspensions, completions', () => {
    expect(
      attemptsClean(
        [
          attempt('attempt-1', { kind: 'killed' }, 'after-call#3'),
          attempt('attempt-2', { kind: 'error', type: 'StorageUnavailable', error: 'lost' }, 'lost-reply#2'),
          attempt('attempt-3', { kind: 'suspended' }),
          attempt('attempt-4', { kind: 'completed' }),
        ],
        false,
      ),
    ).toEqual([]);
  });
  it('reports an unplanned kill, a StorageUnavailable on a resend, a busy, a Cancelled without a cancel', () => {
    expect(
      attemptsClean(
        [
          attempt('attempt-1', { kind: 'killed' }, 'resend#3'),
          attempt('attempt-2', { kind: 'error', type: 'StorageUnavailable', error: 'x\ny' }, 'resend#2'),
          attempt('attempt-3', { kind: 'busy' }),
          attempt('attempt-4', { kind: 'cancelled' }),
        ],
        false,
      ),
    ).toEqual([
      'attempt-1 was killed with plan resend#3',
      'attempt-2 (plan resend#2) failed with StorageUnavailable: x',
      'attempt-3 gave up on a busy run',
      'attempt-4 answered Cancelled, but no cancel was stored',
    ]);
  });
});

describe('attemptsClean on LeaseLost', () => {
  const lost = { kind: 'error', type: 'LeaseLost', error: 'taken over' } as const;
  const claimed = [{ ...at('attempt-1', 'claim', 'claim', undefined, 'claimed'), owner: 'tok-1' }];
  it('accepts it once another process holds the run, or none does', () => {
    expect(attemptsClean([attempt('attempt-1', lost, 'none', 0, 'tok-2')], false, claimed)).toEqual([]);
    expect(attemptsClean([attempt('attempt-1', lost, 'none', 0, null)], false, claimed)).toEqual([]);
  });
  it('reports it while this process still held the run', () => {
    expect(attemptsClean([attempt('attempt-1', lost, 'none', 0, 'tok-1')], false, claimed)).toEqual([
      'attempt-1 (no plan) failed with LeaseLost: taken over',
    ]);
  });
});

describe('outputsMatch', () => {
  it('accepts the crash-free output, replayed or not', () => {
    expect(
      outputsMatch(
        [
          attempt('a', { kind: 'completed', output: { ...reference } }),
          attempt('b', { kind: 'memoized', output: reference }),
        ],
        reference,
      ),
    ).toEqual([]);
  });
  it('reports a different output', () => {
    expect(
      outputsMatch([attempt('a', { kind: 'memoized', output: { ...reference, words: 1 } })], reference),
    ).toHaveLength(1);
  });
});

describe('noReexecution', () => {
  it('accepts a step executed again when the backend never held its record', () => {
    expect(
      noReexecution([
        step('attempt-1', 'fetch', 'e1'),
        step('attempt-2', 'fetch', 'e2'),
        stored('fetch', 'e2'),
      ]),
    ).toEqual([]);
  });
  it('reports a stored step executed again, by whoever', () => {
    expect(
      noReexecution([
        step('attempt-1', 'fetch', 'e1'),
        stored('fetch', 'e1'),
        step('attempt-2', 'fetch', 'e2'),
      ]),
    ).toEqual([
      'step fetch executed again by attempt-2 (ledger line 3) after its record was stored (ledger line 2)',
    ]);
  });
  it('accepts an upload run again after the cleanup of that very upload, not after another one', () => {
    const redone = [
      step('attempt-1', 'upload', 'u1'),
      stored('upload', 'u1'),
      cleanup('attempt-2', 'u1'),
      step('attempt-2', 'upload', 'u2'),
    ];
    expect(noReexecution(redone)).toEqual([]);
    const wrongCleanup = [
      step('attempt-1', 'upload', 'u1'),
      stored('upload', 'u1'),
      cleanup('attempt-2', 'u0'),
      step('attempt-2', 'upload', 'u2'),
    ];
    expect(noReexecution(wrongCleanup)).toHaveLength(1);
  });
  it('reports a step the cleanup cannot forget, run again after it', () => {
    const ledger = [
      step('attempt-1', 'parse', 'p1'),
      stored('parse', 'p1'),
      cleanup('attempt-2', 'u1'),
      step('attempt-2', 'parse', 'p2'),
    ];
    expect(noReexecution(ledger)).toHaveLength(1);
  });
});

describe('recordsTrue', () => {
  it('accepts a record of an execution that ran before it was read', () => {
    expect(recordsTrue([step('attempt-1', 'fetch', 'e1'), stored('fetch', 'e1')])).toEqual([]);
  });
  it('reports a record naming an execution that never ran (or ran under another name, or later)', () => {
    expect(recordsTrue([stored('fetch', 'e1')])).toHaveLength(1);
    expect(recordsTrue([step('attempt-1', 'parse', 'e1'), stored('fetch', 'e1')])).toHaveLength(1);
    expect(recordsTrue([stored('fetch', 'e1'), step('attempt-1', 'fetch', 'e1')])).toHaveLength(1);
  });
});

describe('compensations', () => {
  it('accepts: the upload not kept was compensated after it was made, the kept one never was', () => {
    const ledger = [
      step('attempt-1', 'upload', 'u1'),
      cleanup('housekeeper-1', 'u1'),
      step('attempt-2', 'upload', 'u2'),
    ];
    expect(compensations(ledger, 'u2')).toEqual([]);
    expect(compensations([step('attempt-1', 'upload', 'u1'), cleanup('attempt-2', 'u1')], undefined)).toEqual(
      [],
    );
  });
  it('reports a lost cleanup, a cleanup before its upload, and the kept upload compensated', () => {
    expect(
      compensations([step('attempt-1', 'upload', 'u1'), step('attempt-2', 'upload', 'u2')], 'u2'),
    ).toEqual(['upload u1 by attempt-1 was neither kept nor compensated (a lost cleanup)']);
    expect(
      compensations([cleanup('attempt-1', 'u1'), step('attempt-1', 'upload', 'u1')], undefined),
    ).toHaveLength(1);
    expect(compensations([step('attempt-1', 'upload', 'u1'), cleanup('attempt-2', 'u1')], 'u1')).toEqual([
      'attempt-2 ran the cleanup of upload u1, which the run kept',
    ]);
  });
});

describe('finalStateSound', () => {
  it('accepts a completed run with every step and nothing pending, and a cancelled one with nothing pending', () => {
    expect(finalStateSound(completedRun(), 'completed')).toEqual([]);
    expect(
      finalStateSound({ ...completedRun(['fetch']), status: 'cancelled', owner: 'o' }, 'cancelled'),
    ).toEqual([]);
  });
  it('reports an absent run, the wrong status, a pending cleanup, an owner, a missing and a doubled step', () => {
    expect(finalStateSound(undefined, 'completed')).toEqual(['the run is absent from the backend']);
    const bad: RawRun = {
      ...completedRun([...REFERENCE_STEPS.slice(1), 'parse']),
      status: 'running',
      owner: 'o',
      cleanupNames: ['rollback_upload'],
    };
    expect(finalStateSound(bad, 'completed')).toEqual([
      'the run ended running, not completed',
      '1 cleanup(s) left pending on a running run',
      'a completed run still has an owner (o)',
      'the completed run lacks the records of fetch',
      'steps stored twice: parse',
    ]);
    expect(finalStateSound(completedRun(), 'cancelled')).toEqual(['the run ended completed, not cancelled']);
  });
});

describe('cancelRespected', () => {
  const cancel = at('housekeeper-1', 'cancel', 'r', undefined, 'cancelled');
  it('accepts a step started before the process learnt of the cancel, and cleanups after it', () => {
    const ledger = [
      step('attempt-1', 'fetch', 'e1'),
      cancel,
      at('attempt-1', 'learnt-cancel', 'putStep'),
      cleanup('attempt-1', 'u1'),
    ];
    expect(cancelRespected(ledger, [attempt('attempt-1', { kind: 'cancelled' })])).toEqual([]);
  });
  it('reports a step started after this process learnt of it, and a step by an attempt started after it', () => {
    const ledger = [
      cancel,
      at('attempt-1', 'learnt-cancel', 'putStep'),
      step('attempt-1', 'parse', 'p1'),
      step('attempt-2', 'fetch', 'e2'),
    ];
    expect(
      cancelRespected(ledger, [
        attempt('attempt-1', { kind: 'cancelled' }),
        attempt('attempt-2', { kind: 'cancelled' }, 'none', 3),
      ]),
    ).toEqual([
      'attempt-1 started step parse (ledger line 3) after it learnt of the cancel (ledger line 2)',
      'attempt-2, started after the cancel (ledger line 1), ran step fetch',
    ]);
  });
});

describe('duplicatesSound', () => {
  const replayed = { kind: 'memoized', label: 'duplicate-1', output: reference, events: [] } as const;
  it('accepts a replay, a busy answer, and a fresh start after a purge', () => {
    const fresh: ChildOutcome = { kind: 'suspended', label: 'duplicate-2', reason: 'sleep', resumeAt: 1 };
    const ledger = [step('duplicate-2', 'fetch', 'f')];
    expect(
      duplicatesSound(
        [replayed, { kind: 'busy', label: 'duplicate-3' }, fresh],
        ledger,
        reference,
        undefined,
      ),
    ).toEqual([]);
  });
  it('accepts a duplicate told LeaseLost once another holds the run, not while it does', () => {
    const lost: ChildOutcome = {
      kind: 'error',
      label: 'duplicate-1',
      type: 'LeaseLost',
      error: 'taken over',
      exitCode: 1,
      stderr: '',
    };
    const ledger = [
      { ...at('duplicate-1', 'claim', 'claim'), owner: 'tok-1' },
      step('duplicate-1', 'fetch', 'f'),
    ];
    const heldBy = (owner: string): RawRun => ({ ...completedRun([]), status: 'suspended', owner });
    expect(duplicatesSound([lost], ledger, reference, heldBy('tok-2'))).toEqual([]);
    expect(duplicatesSound([lost], ledger, reference, heldBy('tok-1'))).toEqual([
      'duplicate duplicate-1 failed with LeaseLost: taken over',
    ]);
  });
  it('reports a run completed again without a purge', () => {
    const again: ChildOutcome = {
      kind: 'completed',
      label: 'duplicate-1',
      attempt: 2,
      output: reference,
      cleanupsRun: [],
      events: [],
    };
    expect(duplicatesSound([again], [], reference, undefined)).toEqual([
      'duplicate duplicate-1 completed the run a second time',
    ]);
  });
  it('reports an error (RunCompleted), a replay that ran a step, a parked completed run, a completed run without its records', () => {
    const failed: ChildOutcome = {
      kind: 'error',
      label: 'duplicate-2',
      type: 'RunCompleted',
      error: 'completed',
      exitCode: 1,
      stderr: '',
    };
    const parked: ChildOutcome = { kind: 'suspended', label: 'duplicate-3', reason: 'sleep', resumeAt: 1 };
    const violations = duplicatesSound(
      [replayed, failed, parked],
      [step('duplicate-1', 'charge', 'c')],
      reference,
      completedRun([]),
    );
    expect(violations).toEqual([
      'duplicate duplicate-1 replayed, yet ran charge',
      'duplicate duplicate-2 failed with RunCompleted: completed',
      'duplicate duplicate-3 parked the completed run (ran nothing)',
      `the completed run lacks the records of ${REFERENCE_STEPS.join(', ')}`,
    ]);
  });
});
