import { describeRun, NonRetryableError } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import {
  eventually,
  expectErr,
  LEASE_EXPIRY,
  newClock,
  processOn,
  type SuiteContext,
  uniqueRunId,
} from '../context.ts';

const policy = { attempts: 3, initialDelayMs: 1000, factor: 2, jitter: 0 };

const retrying = (events: readonly string[], name: string, times: number) =>
  eventually(async () => events.filter((e) => e === `step.retrying:${name}`).length === times);

/** Retries: failed attempts are records of the run, so a crash does not reset the count. */
export const retrySuite = ({ harness }: SuiteContext) => {
  it('retries with backoff, records each failed attempt, and memoizes the success once', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('retry');
    const worker = processOn(storage, clock);
    const cp = await worker.load({}, runId);
    let calls = 0;
    const step = R.durable(storage)(cp)('flaky', { retry: policy })({})(() => {
      if (++calls < 3) throw new Error(`fail ${calls}`);
      return 'ok';
    });
    // Advance only once the core announced the retry: its timer starts then, after the attempt's
    // record came back from storage (visible on the server a little earlier).
    await retrying(worker.events, 'flaky', 1);
    clock.advance(999);
    expect(calls).toBe(1);
    clock.advance(1);
    await retrying(worker.events, 'flaky', 2);
    expect(calls).toBe(2);
    clock.advance(2000);
    expect((await step)._unsafeUnwrap()).toBe('ok');
    const steps = (await storage.read(runId))?.steps ?? [];
    expect(steps.filter((s) => s.key.endsWith('#attempt1') || s.key.endsWith('#attempt2'))).toHaveLength(2);
    expect(JSON.parse(steps.find((s) => s.key.endsWith('#attempt2'))?.output ?? '{}')).toMatchObject({
      message: 'fail 2',
    });
    expect((await describeRun(storage)(runId))?.steps).toEqual([
      expect.objectContaining({
        name: 'flaky',
        state: 'recorded',
        attempts: 3,
        lastError: { name: 'Error', message: 'fail 2' },
      }),
    ]);
  });

  it('continues the count after a crash, and exhausting it fails the run and runs its cleanups', async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('retry-crash');
    const undone: unknown[] = [];
    const registry = { undo: () => void undone.push('undo') };
    // The first process has its own clock, which stops with it: no renewal, no retry timer.
    const first = await processOn(storage, newClock()).load(registry, runId);
    let calls = 0;
    // Attempt 1 fails and is recorded; the process then dies while waiting to retry.
    void R.durable(storage)(first)('down', { retry: policy })({})(() => {
      calls++;
      throw new Error('down');
    });
    await eventually(async () => ((await storage.read(runId))?.steps.length ?? 0) === 1);
    clock.advance(LEASE_EXPIRY);
    const fresh = await reopen();
    const secondProcess = processOn(fresh, clock);
    const second = await secondProcess.load(registry, runId);
    expect(second.cleanupsRun).toEqual([]);
    await R.beforeRisky(fresh)(second)('undo')({});
    const outcome = R.durable(fresh)(second)('down', { retry: policy })({})(() => {
      calls++;
      throw new Error('still down');
    });
    await retrying(secondProcess.events, 'down', 1);
    clock.advance(2000);
    const failed = await expectErr(outcome, 'StepFailed');
    expect(failed).toMatchObject({ step: 'down', attempts: 3 });
    expect(calls).toBe(3);
    const head = (await storage.read(runId))?.run;
    expect(head).toMatchObject({ status: 'failed', owner: null });
    expect(head?.error).toContain('after 3 attempt');
    expect(undone).toEqual(['undo']);
    // The attempts after the cleanup was registered were rolled back with it (it may have undone
    // them): only the first stays on the step; the run's error keeps the count.
    expect((await describeRun(storage)(runId))?.steps).toMatchObject([
      { name: 'down', state: 'failing', attempts: 1 },
    ]);
  });

  it('stops at once on a NonRetryableError or when shouldRetry says no', async () => {
    const { storage } = harness();
    const clock = newClock();
    for (const [label, fn, retry] of [
      [
        'non-retryable',
        () => {
          throw new NonRetryableError('card declined');
        },
        policy,
      ],
      [
        'should-retry',
        () => {
          throw new Error('400');
        },
        { ...policy, shouldRetry: (e: unknown) => !(e instanceof Error && e.message === '400') },
      ],
    ] as const) {
      const runId = uniqueRunId(label);
      const cp = await processOn(storage, clock).load({}, runId);
      const failed = await expectErr(R.durable(storage)(cp)('pay', { retry })({})(fn), 'StepFailed');
      expect(failed.attempts).toBe(1);
      expect((await storage.read(runId))?.run.status).toBe('failed');
      const [view] = (await describeRun(storage)(runId))?.steps ?? [];
      expect(view).toMatchObject({ name: 'pay', state: 'failing', attempts: 1 });
    }
  });
};
