import { FOREVER } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { era, LEASE_MS, newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import {
  claimAs,
  claimedSnapshot,
  cleanupRecord,
  createdRun,
  expectUnchanged,
  stepRecord,
  stored,
} from '../direct.ts';

/**
 * Every operation arriving twice, as a driver resends a request after a lost reply: the second
 * arrival answers what the contract says, and changes nothing the first did not.
 */
export const resendSuite = ({ harness }: SuiteContext) => {
  it('claim: a resend answers the first answer (previousStatus kept) even once the lease expired', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'resend-claim', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    await storage.finish({ runId, owner: 'a', status: 'failed', at: now, error: '"x"', dropCleanups: true });
    const first = await claimAs(storage, runId, 'b', now + 1);
    expect(first, 'setting up: a takeover of a failed run').toMatchObject({
      kind: 'claimed',
      previousStatus: 'failed',
    });
    // The owner writes in between; the resend arrives after its lease ended.
    await storage.putStep({ runId, owner: 'b', record: stepRecord('s#2', 2, now + 2) });
    await storage.setLease({ runId, owner: 'b', leaseExpiresAt: now + 3, now: now + 3 });
    const before = await stored(storage, runId);
    const again = await claimAs(storage, runId, 'b', now + 10 * LEASE_MS);
    expect(
      again,
      'claim resent (owner === owner): change nothing → claimed with the snapshot and the previousStatus the first arrival answered, whatever the lease',
    ).toMatchObject({ kind: 'claimed', previousStatus: 'failed' });
    expect(
      normalized(claimedSnapshot(again, 'resent claim')),
      'a resent claim answers with the stored snapshot',
    ).toEqual(before);
    await expectUnchanged(storage, runId, before, 'a resent claim (no attempt + 1, no new lease)');
  });

  it('claim with ifOwner: a resend answers the first answer and changes nothing', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'resend-if-owner', now);
    await storage.suspend({ runId, owner: 'a', at: now, wakeAt: FOREVER });
    await claimAs(storage, runId, 'b', now + 1);
    const request = { runId, owner: 'c', now: now + 2, leaseMs: LEASE_MS, ifOwner: 'b' };
    expect(await storage.claim(request), 'setting up: a takeover from b').toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
    });
    const before = await stored(storage, runId);
    const again = await storage.claim({ ...request, now: now + 3 });
    expect(
      again,
      'claim with ifOwner resent (owner === owner): claimed with the first previousStatus',
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
    });
    await expectUnchanged(storage, runId, before, 'a resent ifOwner claim');
  });

  it('putStep: a resend gets exists with its own record, and changes nothing', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'resend-put-step', now);
    const record = stepRecord('s#1', 1, now, '{"v":1}');
    expect(await storage.putStep({ runId, owner: 'a', record }), 'putStep → written').toEqual({
      kind: 'written',
    });
    const before = await stored(storage, runId);
    expect(
      await storage.putStep({ runId, owner: 'a', record }),
      'putStep resent → exists with its own record',
    ).toEqual({
      kind: 'exists',
      record,
    });
    await expectUnchanged(storage, runId, before, 'a resent putStep');
  });

  it('putCleanup, removeCleanup, rollback and setLease: a resend answers ok and changes nothing', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'resend-fenced', now);
    for (const seq of [1, 3])
      await storage.putStep({ runId, owner: 'a', record: stepRecord(`s#${seq}`, seq, now) });
    const requests = {
      putCleanup: () => storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(2, now) }),
      'putCleanup of another id': () =>
        storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(4, now) }),
      removeCleanup: () => storage.removeCleanup({ runId, owner: 'a', id: 4 }),
      rollback: () => storage.rollback({ runId, owner: 'a', cleanupId: 2, afterSeq: 2 }),
      setLease: () =>
        storage.setLease({ runId, owner: 'a', leaseExpiresAt: now + 2 * LEASE_MS, now: now + 1 }),
    };
    for (const [operation, send] of Object.entries(requests)) {
      expect(await send(), `${operation} → ok`).toBe('ok');
      const before = await stored(storage, runId);
      expect(await send(), `${operation} resent → ok`).toBe('ok');
      await expectUnchanged(storage, runId, before, `a resent ${operation}`);
    }
  });

  for (const status of ['completed', 'failed', 'compensated', 'cancelled'] as const) {
    it(`finish ${status}: a resend after the owner was cleared answers ok and changes nothing`, async () => {
      const { storage } = harness();
      const now = newClock().now();
      const runId = await createdRun(storage, `resend-finish-${status}`, now);
      await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(1, now) });
      if (status === 'cancelled') await storage.cancel({ runId, at: now });
      const request = {
        runId,
        owner: 'a',
        status,
        at: now + 1,
        error: status === 'failed' ? '"x"' : null,
        dropCleanups: false,
      };
      expect(await storage.finish(request), `finish ${status} → applied`).toBe(
        status === 'cancelled' ? 'cancelled' : 'ok',
      );
      const before = await stored(storage, runId);
      expect(
        await storage.finish({ ...request, at: now + 2, error: '"other"', dropCleanups: true }),
        `finish resent (owner cleared, status already ${status}) → 'ok', not a lost lease`,
      ).toBe('ok');
      await expectUnchanged(storage, runId, before, `a resent finish ${status}`);
      const other = status === 'failed' ? 'completed' : 'failed';
      expect(
        await storage.finish({ ...request, status: other }),
        `finish ${other} after finish ${status}: not a resend → 'lease-lost'`,
      ).toBe('lease-lost');
      await expectUnchanged(storage, runId, before, `finish ${other} on a ${status} run`);
    });
  }

  it('suspend: a resend answers the wake time stored and changes nothing', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'resend-suspend', now);
    await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now), now });
    const request = { runId, owner: 'a', at: now + 1, wakeAt: FOREVER, signalKey: 'go#signal' };
    expect(await storage.suspend(request), 'suspend with a stored signal → wakes at once').toEqual({
      kind: 'suspended',
      wakeAt: now + 1,
    });
    const before = await stored(storage, runId);
    expect(
      await storage.suspend({ ...request, at: now + 5 }),
      'suspend resent (owner cleared, status already suspended) → the wake time stored',
    ).toEqual({ kind: 'suspended', wakeAt: now + 1 });
    await expectUnchanged(storage, runId, before, 'a resent suspend');
  });

  it('putSignal: a resend gets exists with its own record and the status, and neither writes nor wakes', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'resend-signal', now);
    const record = stepRecord('go#signal', 0, now, '{"payload":1}');
    expect(await storage.putSignal({ runId, record, now }), 'putSignal → written').toEqual({
      kind: 'written',
      status: 'running',
    });
    await storage.suspend({ runId, owner: 'a', at: now + 1, wakeAt: now + 1_000 });
    const before = await stored(storage, runId);
    expect(
      await storage.putSignal({ runId, record, now: now + 2 }),
      'putSignal resent → exists with its own record and the status',
    ).toEqual({ kind: 'exists', record, status: 'suspended' });
    await expectUnchanged(storage, runId, before, 'a resent putSignal (an existing record wakes nothing)');
  });

  it('cancel: a resend answers the head and changes nothing (updatedAt included)', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'resend-cancel', now);
    const first = await storage.cancel({ runId, at: now + 1 });
    expect(first, 'cancel → cancelled, updatedAt = at').toMatchObject({
      kind: 'cancelled',
      run: { status: 'cancelled', updatedAt: now + 1 },
    });
    const before = await stored(storage, runId);
    expect(
      await storage.cancel({ runId, at: now + 2 }),
      'cancel resent → cancelled with the head, unchanged',
    ).toEqual({
      kind: 'cancelled',
      run: before?.run,
    });
    await expectUnchanged(storage, runId, before, 'a resent cancel');
  });

  it('purge: a resend deletes nothing more and answers 0', async () => {
    const { storage } = harness();
    const at = era(1971) + 500_000;
    const runId = uniqueRunId('resend-purge');
    await claimAs(storage, runId, 'a', at);
    await storage.finish({ runId, owner: 'a', status: 'compensated', at, error: null, dropCleanups: true });
    const query = { statuses: ['compensated'] as const, updatedBefore: at + 1, limit: 1000 };
    expect(await storage.purge(query), 'purge → deletes the run').toBeGreaterThanOrEqual(1);
    expect(await storage.purge(query), 'purge resent → 0').toBe(0);
    expect(await storage.read(runId)).toBeUndefined();
  });
};
