import { complete, describeRun, durable, findDue, signal, suspensionOf, waitFor } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import { expectErr, newClock, processOn, type SuiteContext, uniqueRunId } from '../context.ts';

/** Signals through the core: sent from another process, before or after the wait, first one wins. */
export const waitSuite = ({ harness }: SuiteContext) => {
  const approval = (
    storage: Parameters<typeof waitFor>[0],
    clock: ReturnType<typeof newClock>,
    runId: string,
  ) => {
    const seen: unknown[] = [];
    const run = async (options: { timeout?: number } = {}) => {
      const cp = await processOn(storage, clock).load({}, runId);
      await durable(storage)(cp)('ask')({})(() => 'asked');
      const answer = await waitFor(storage)(cp)('approval')(options);
      seen.push(answer);
      await complete(storage)(cp);
      return answer;
    };
    return { run, seen };
  };

  it('suspends until the signal, which another process sends and which wakes the run', async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('wait-then-signal');
    const flow = approval(storage, clock, runId);
    const parked = await flow.run().catch((e: unknown) => e);
    expect(suspensionOf(parked)).toMatchObject({ reason: 'signal', name: 'approval', resumeAt: null });
    const sender = await reopen();
    expect(await signal(sender, { clock })(runId)('approval')({ by: 'ops', ok: true })).toEqual({
      runId,
      name: 'approval',
      accepted: true,
      status: 'suspended',
    });
    expect((await findDue(storage, { clock })({ limit: 1000 })).runs.map((r) => r.runId)).toContain(runId);
    expect(await flow.run()).toEqual({ kind: 'signal', payload: { by: 'ops', ok: true } });
    expect(await signal(sender, { clock })(runId)('approval')({ by: 'late' })).toMatchObject({
      accepted: false,
      status: 'completed',
    });
  });

  it('returns a signal sent before the run waits, without suspending', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('signal-first');
    await processOn(storage, clock).load({}, runId);
    await signal(storage, { clock })(runId)('approval')(42);
    clock.advance(60_000 * 2);
    expect(await approval(storage, clock, runId).run()).toEqual({ kind: 'signal', payload: 42 });
  });

  it('times out after the recorded deadline, and a later signal does not change the answer', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('wait-timeout');
    const flow = approval(storage, clock, runId);
    const start = clock.now();
    expect(suspensionOf(await flow.run({ timeout: 1000 }).catch((e: unknown) => e))?.resumeAt).toBe(
      start + 1000,
    );
    clock.advance(500);
    // The deadline was recorded the first time: a longer timeout now does not move it.
    expect(suspensionOf(await flow.run({ timeout: 60_000 }).catch((e: unknown) => e))?.resumeAt).toBe(
      start + 1000,
    );
    clock.advance(500);
    expect((await findDue(storage, { clock })({ limit: 1000 })).runs.map((r) => r.runId)).toContain(runId);
    expect(await flow.run({ timeout: 1000 })).toEqual({ kind: 'timeout' });
    expect(await signal(storage, { clock })(runId)('approval')('too late')).toMatchObject({
      accepted: false,
    });
    expect(await describeRun(storage)(runId)).toMatchObject({
      waits: [{ name: 'approval', deadline: start + 1000 }],
      signals: [{ name: 'approval', kind: 'timeout' }],
      steps: [{ name: 'ask', state: 'recorded', attempts: 1 }],
    });
  });

  it('answers RunNotFound for a signal to an unknown run, and refuses hostile names', async () => {
    const { storage } = harness();
    await expectErr(R.signal(storage)(uniqueRunId('nobody'))('approval')(1), 'RunNotFound');
    await expectErr(R.signal(storage)(uniqueRunId('x'))('')(1), 'InvalidName');
    await expectErr(R.signal(storage)('a\u0000b')('approval')(1), 'InvalidRunId');
    await expectErr(
      R.signal(storage)(uniqueRunId('x'))('approval')(() => 1),
      'NotEncodable',
    );
  });
};
