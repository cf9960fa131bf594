import { expect, it } from 'vitest';
import { LEASE_MS, newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, expectUnchanged, stepRecord } from '../direct.ts';

/**
 * Cancellation from any process: the run's owner keeps its lease and may only undo (it runs the
 * cleanups once its steps have ended); with no live owner, whoever claims it next runs them.
 */
export const cancelSuite = ({ harness }: SuiteContext) => {
  it('answers not-found for an absent run and creates nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('cancel-absent');
    expect(
      await storage.cancel({ runId, at: newClock().now() }),
      'cancel of an absent run → not-found',
    ).toEqual({
      kind: 'not-found',
    });
    expect(await storage.read(runId), 'cancel of an absent run creates nothing').toBeUndefined();
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
    expect(
      cancelled,
      'cancel of a running run → status cancelled, updatedAt = at; the owner keeps its lease',
    ).toMatchObject({
      kind: 'cancelled',
      run: { runId, status: 'cancelled', owner: 'a', leaseExpiresAt: lease, updatedAt: now + 3 },
    });
    expect(await raw.readRun(runId), 'cancel keeps the owner and the cleanups (raw read)').toMatchObject({
      status: 'cancelled',
      owner: 'a',
      cleanupNames: ['undo'],
    });
    const before = normalized(await storage.read(runId));
    // Progress is refused with `cancelled` and changes nothing…
    const refused =
      "on a cancelled run the owner's writes that make progress answer 'cancelled' and change nothing";
    const progress = {
      putStep: () => storage.putStep({ runId, owner: 'a', record: stepRecord('s#4', 4, now) }),
      putCleanup: () =>
        storage.putCleanup({
          runId,
          owner: 'a',
          record: { id: 5, name: 'other', seq: 5, params: '{}', at: now },
        }),
      removeCleanup: () => storage.removeCleanup({ runId, owner: 'a', id: 2 }),
      suspend: () => storage.suspend({ runId, owner: 'a', at: now, wakeAt: now + 10 }),
      'finish completed': () =>
        storage.finish({
          runId,
          owner: 'a',
          status: 'completed',
          at: now + 4,
          error: null,
          dropCleanups: true,
        }),
      'finish failed': () =>
        storage.finish({
          runId,
          owner: 'a',
          status: 'failed',
          at: now + 4,
          error: '"x"',
          dropCleanups: true,
        }),
      'finish compensated': () =>
        storage.finish({
          runId,
          owner: 'a',
          status: 'compensated',
          at: now + 4,
          error: null,
          dropCleanups: true,
        }),
    };
    for (const [operation, write] of Object.entries(progress)) {
      const outcome = await write();
      expect(typeof outcome === 'string' ? outcome : outcome.kind, `${operation}: ${refused}`).toBe(
        'cancelled',
      );
      await expectUnchanged(storage, runId, before, `${operation}: ${refused}`);
    }
    // …another process is refused as before, and cannot claim while the owner's lease is live…
    expect(
      await storage.putStep({ runId, owner: 'b', record: stepRecord('s#4', 4, now) }),
      'a non-owner of a cancelled run → lease-lost',
    ).toEqual({ kind: 'lease-lost' });
    expect(
      await storage.rollback({ runId, owner: 'b', cleanupId: 2, afterSeq: 2 }),
      'a non-owner of a cancelled run → lease-lost',
    ).toBe('lease-lost');
    expect(
      await claimAs(storage, runId, 'b', now + 5),
      "a cancelled run's owner keeps its live lease: another claim is busy",
    ).toMatchObject({ kind: 'busy', run: { owner: 'a' } });
    expect(
      await storage.cancel({ runId, at: now + 50 }),
      'cancel of a cancelled run → change nothing, answer the head',
    ).toEqual({ kind: 'cancelled', run: before?.run });
    await expectUnchanged(storage, runId, before, 'cancel of a cancelled run');
    // …while the owner's undoing is applied: lease upkeep, rollback, and finishing cancelled.
    const undoing = "the writes that run the cleanups of a cancelled run are applied, answering 'cancelled'";
    expect(
      await storage.setLease({ runId, owner: 'a', leaseExpiresAt: now + 60_000, now: now + 6 }),
      `setLease: ${undoing}`,
    ).toBe('cancelled');
    expect((await storage.read(runId))?.run, `setLease: ${undoing}`).toMatchObject({
      leaseExpiresAt: now + 60_000,
      updatedAt: now + 6,
    });
    expect(
      await storage.rollback({ runId, owner: 'a', cleanupId: 2, afterSeq: 2 }),
      `rollback: ${undoing}`,
    ).toBe('cancelled');
    const rolledBack = normalized(await storage.read(runId));
    expect(
      rolledBack?.steps.map((s) => s.key),
      `rollback: ${undoing}`,
    ).toEqual(['s#1']);
    expect(rolledBack?.cleanups, `rollback: ${undoing}`).toEqual([]);
    const finish = { runId, owner: 'a', status: 'cancelled', error: null, dropCleanups: false } as const;
    expect(await storage.finish({ ...finish, at: now + 7 }), `finish cancelled: ${undoing}`).toBe(
      'cancelled',
    );
    expect((await storage.read(runId))?.run, `finish cancelled: ${undoing}`).toMatchObject({
      status: 'cancelled',
      owner: null,
      leaseExpiresAt: 0,
      updatedAt: now + 7,
    });
    expect(
      await storage.finish({ ...finish, at: now + 8 }),
      "finish resent after a lost reply (owner cleared, status already cancelled) → 'ok', not a lost lease",
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
    expect(
      claimed,
      'claim of a cancelled run whose lease expired: taken over, staying cancelled → previousStatus cancelled',
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: 'cancelled',
      snapshot: { run: { status: 'cancelled', owner: 'b', attempt: 2 } },
    });
    expect(
      claimed.kind === 'claimed' && claimed.snapshot.cleanups.map((c) => c.name),
      'the snapshot of a takeover holds the pending cleanups',
    ).toEqual(['undo']);
    expect(
      await storage.putStep({ runId, owner: 'b', record: stepRecord('s#2', 2, now) }),
      "putStep by the new owner of a cancelled run → 'cancelled'",
    ).toEqual({ kind: 'cancelled' });
    expect(
      await storage.putStep({ runId, owner: 'a', record: stepRecord('s#2', 2, now) }),
      'putStep by the old owner after a takeover → lease-lost',
    ).toEqual({ kind: 'lease-lost' });
  });

  for (const status of ['suspended', 'failed', 'compensated'] as const) {
    it(`cancels a ${status} run: status cancelled, updatedAt = at; owner, lease, steps and cleanups kept`, async () => {
      const { storage } = harness();
      const runId = uniqueRunId(`cancel-${status}`);
      const now = newClock().now();
      await claimAs(storage, runId, 'a', now);
      await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
      await storage.putCleanup({
        runId,
        owner: 'a',
        record: { id: 2, name: 'undo', seq: 2, params: '{}', at: now },
      });
      if (status === 'suspended')
        await storage.suspend({ runId, owner: 'a', at: now + 1, wakeAt: now + 5_000 });
      else await storage.finish({ runId, owner: 'a', status, at: now + 1, error: null, dropCleanups: false });
      const before = normalized(await storage.read(runId));
      const cancelled = await storage.cancel({ runId, at: now + 9 });
      const expected = { ...before?.run, status: 'cancelled', updatedAt: now + 9 };
      expect(
        cancelled,
        `cancel of a ${status} run → cancelled with the head after the change (status cancelled, updatedAt = at, owner and lease kept)`,
      ).toEqual({ kind: 'cancelled', run: expected });
      expect(normalized(await storage.read(runId)), 'cancel keeps owner, lease, steps and cleanups').toEqual({
        ...before,
        run: expected,
      });
    });
  }

  it('applies finish cancelled on a cancelled run in full: owner and lease cleared, error stored, cleanups dropped when told', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('cancel-finish');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.putCleanup({
      runId,
      owner: 'a',
      record: { id: 1, name: 'undo', seq: 1, params: '{}', at: now },
    });
    await storage.cancel({ runId, at: now + 1 });
    expect(
      await storage.finish({
        runId,
        owner: 'a',
        status: 'cancelled',
        at: now + 2,
        error: '"undo failed"',
        dropCleanups: true,
      }),
      "finish cancelled on a cancelled run → 'cancelled', applied",
    ).toBe('cancelled');
    expect(
      normalized(await storage.read(runId)),
      'finish cancelled on a cancelled run is applied like any finish',
    ).toMatchObject({
      run: {
        status: 'cancelled',
        owner: null,
        leaseExpiresAt: 0,
        updatedAt: now + 2,
        error: '"undo failed"',
      },
      cleanups: [],
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
    expect(
      await storage.cancel({ runId, at: now + 1 }),
      'cancel of a completed run → change nothing, answer completed with the head',
    ).toEqual({ kind: 'completed', run: before?.run });
    await expectUnchanged(storage, runId, before, 'cancel of a completed run');
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
