import { expect, it } from 'vitest';
import { LEASE_MS, newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, stepRecord } from '../direct.ts';

/**
 * Cancellation from any process: the run's owner keeps its lease and may only undo (it runs the
 * cleanups once its steps have ended); with no live owner, whoever claims it next runs them.
 */
export const cancelSuite = ({ harness }: SuiteContext) => {
  it('answers not-found for an absent run and creates nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('cancel-absent');
    expect(await storage.cancel({ runId, at: newClock().now() })).toEqual({ kind: 'not-found' });
    expect(await storage.read(runId)).toBeUndefined();
  });

  it('cancels a running run: its owner keeps the lease and may only undo; cancelling again changes nothing', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('cancel-running');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    const undo = { id: 2, name: 'undo', seq: 2, params: '{}', at: now };
    await storage.putCleanup({ runId, owner: 'a', record: undo });
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#3', 3, now) });
    const lease = (await storage.read(runId))?.run.leaseExpiresAt;
    const cancelled = await storage.cancel({ runId, at: now + 3 });
    expect(cancelled).toMatchObject({
      kind: 'cancelled',
      run: { runId, status: 'cancelled', owner: 'a', leaseExpiresAt: lease, updatedAt: now + 3 },
    });
    if (raw)
      expect(await raw.readRun(runId)).toMatchObject({
        status: 'cancelled',
        owner: 'a',
        cleanupNames: ['undo'],
      });
    const before = normalized(await storage.read(runId));
    // Progress is refused with `cancelled` and changes nothing…
    expect(await storage.putStep({ runId, owner: 'a', record: stepRecord('s#4', 4, now) })).toEqual({
      kind: 'cancelled',
    });
    const other = { id: 5, name: 'other', seq: 5, params: '{}', at: now };
    expect(await storage.putCleanup({ runId, owner: 'a', record: other })).toBe('cancelled');
    expect(await storage.removeCleanup({ runId, owner: 'a', id: 2 })).toBe('cancelled');
    expect(await storage.suspend({ runId, owner: 'a', at: now, wakeAt: now + 10 })).toEqual({
      kind: 'cancelled',
    });
    for (const status of ['completed', 'failed', 'compensated'] as const) {
      expect(
        await storage.finish({ runId, owner: 'a', status, at: now + 4, error: null, dropCleanups: true }),
      ).toBe('cancelled');
    }
    expect(normalized(await storage.read(runId))).toEqual(before);
    // …another process is refused as before, and cannot claim while the owner's lease is live…
    expect(await storage.putStep({ runId, owner: 'b', record: stepRecord('s#4', 4, now) })).toEqual({
      kind: 'lease-lost',
    });
    expect(await storage.rollback({ runId, owner: 'b', cleanupId: 2, afterSeq: 2 })).toBe('lease-lost');
    expect(await claimAs(storage, runId, 'b', now + 5)).toMatchObject({ kind: 'busy', run: { owner: 'a' } });
    expect(await storage.cancel({ runId, at: now + 50 })).toEqual({ kind: 'cancelled', run: before?.run });
    expect(normalized(await storage.read(runId))).toEqual(before);
    // …while the owner's undoing is applied: lease upkeep, rollback, and finishing cancelled.
    expect(await storage.setLease({ runId, owner: 'a', leaseExpiresAt: now + 60_000, now: now + 6 })).toBe(
      'cancelled',
    );
    expect((await storage.read(runId))?.run).toMatchObject({
      leaseExpiresAt: now + 60_000,
      updatedAt: now + 6,
    });
    expect(await storage.rollback({ runId, owner: 'a', cleanupId: 2, afterSeq: 2 })).toBe('cancelled');
    const rolledBack = normalized(await storage.read(runId));
    expect(rolledBack?.steps.map((s) => s.key)).toEqual(['s#1']);
    expect(rolledBack?.cleanups).toEqual([]);
    expect(
      await storage.finish({
        runId,
        owner: 'a',
        status: 'cancelled',
        at: now + 7,
        error: null,
        dropCleanups: false,
      }),
    ).toBe('cancelled');
    expect((await storage.read(runId))?.run).toMatchObject({
      status: 'cancelled',
      owner: null,
      leaseExpiresAt: 0,
      updatedAt: now + 7,
    });
    // A resent finish after a lost reply is not a lost lease.
    expect(
      await storage.finish({
        runId,
        owner: 'a',
        status: 'cancelled',
        at: now + 8,
        error: null,
        dropCleanups: false,
      }),
    ).toBe('ok');
  });

  it('lets whoever claims a cancelled run after its owner died run the cleanups', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('cancel-dead-owner');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.putCleanup({
      runId,
      owner: 'a',
      record: { id: 1, name: 'undo', seq: 1, params: '{}', at: now },
    });
    await storage.cancel({ runId, at: now + 1 });
    const claimed = await claimAs(storage, runId, 'b', now + LEASE_MS);
    expect(claimed).toMatchObject({
      kind: 'claimed',
      previousStatus: 'cancelled',
      snapshot: { run: { status: 'cancelled', owner: 'b', attempt: 2 } },
    });
    expect(claimed.kind === 'claimed' && claimed.snapshot.cleanups.map((c) => c.name)).toEqual(['undo']);
    expect(await storage.putStep({ runId, owner: 'b', record: stepRecord('s#2', 2, now) })).toEqual({
      kind: 'cancelled',
    });
    expect(await storage.putStep({ runId, owner: 'a', record: stepRecord('s#2', 2, now) })).toEqual({
      kind: 'lease-lost',
    });
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
    ).toBe('cancelled');
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
