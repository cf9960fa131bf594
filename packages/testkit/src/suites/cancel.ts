import { expect, it } from 'vitest';
import { newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, stepRecord } from '../direct.ts';

/** Cancellation from any process: the owner is fenced off, the cleanups stay for whoever claims next. */
export const cancelSuite = ({ harness }: SuiteContext) => {
  it('answers not-found for an absent run and creates nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('cancel-absent');
    expect(await storage.cancel({ runId, at: newClock().now() })).toEqual({ kind: 'not-found' });
    expect(await storage.read(runId)).toBeUndefined();
  });

  it('cancels a running run: owner fenced off, records kept; cancelling again changes nothing', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('cancel-running');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    await storage.putCleanup({
      runId,
      owner: 'a',
      record: { id: 2, name: 'undo', seq: 2, params: '{}', at: now },
    });
    const cancelled = await storage.cancel({ runId, at: now + 3 });
    expect(cancelled).toMatchObject({
      kind: 'cancelled',
      run: { runId, status: 'cancelled', owner: null, leaseExpiresAt: 0, updatedAt: now + 3 },
    });
    if (raw)
      expect(await raw.readRun(runId)).toMatchObject({
        status: 'cancelled',
        owner: null,
        cleanupNames: ['undo'],
      });
    expect(await storage.putStep({ runId, owner: 'a', record: stepRecord('s#2', 3, now) })).toEqual({
      kind: 'lease-lost',
    });
    expect(await storage.setLease({ runId, owner: 'a', leaseExpiresAt: now + 10, now })).toBe('lease-lost');
    const after = normalized(await storage.read(runId));
    expect(after?.steps.map((s) => s.key)).toEqual(['s#1']);
    expect(after?.cleanups.map((c) => c.name)).toEqual(['undo']);
    expect(await storage.cancel({ runId, at: now + 50 })).toEqual({ kind: 'cancelled', run: after?.run });
    expect(normalized(await storage.read(runId))).toEqual(after);
  });

  it('leaves a completed run alone', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('cancel-completed');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.finish({
      runId,
      owner: 'a',
      status: 'completed',
      at: now,
      error: null,
      dropCleanups: true,
    });
    const before = normalized(await storage.read(runId));
    expect(await storage.cancel({ runId, at: now + 1 })).toEqual({ kind: 'completed', run: before?.run });
    expect(normalized(await storage.read(runId))).toEqual(before);
  });

  it('keeps a cancelled run cancelled when claimed, so that only its cleanups run, and finishes it cancelled', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('cancel-claim');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.suspend({ runId, owner: 'a', at: now, wakeAt: now + 1_000 });
    expect(await storage.cancel({ runId, at: now + 1 })).toMatchObject({ kind: 'cancelled' });
    const claimed = await claimAs(storage, runId, 'b', now + 2);
    expect(claimed).toMatchObject({ kind: 'claimed', previousStatus: 'cancelled' });
    expect(claimed.kind === 'claimed' && claimed.snapshot.run).toMatchObject({
      status: 'cancelled',
      owner: 'b',
    });
    expect(
      await storage.finish({
        runId,
        owner: 'b',
        status: 'cancelled',
        at: now + 3,
        error: null,
        dropCleanups: false,
      }),
    ).toBe('ok');
    expect((await storage.read(runId))?.run).toMatchObject({ status: 'cancelled', owner: null });
    expect(await storage.list({ statuses: ['cancelled'], limit: 1000 })).toEqual(
      expect.arrayContaining([expect.objectContaining({ runId })]),
    );
    expect(
      await storage.purge({ statuses: ['cancelled'], updatedBefore: now + 4, limit: 1000 }),
    ).toBeGreaterThan(0);
    expect(await storage.read(runId)).toBeUndefined();
  });
};
