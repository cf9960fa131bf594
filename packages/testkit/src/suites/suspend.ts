import { FOREVER } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { LEASE_MS, newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, stepRecord } from '../direct.ts';

/** Durable sleep and waits park a run: `suspend`, and a claim that says the run was parked. */
export const suspendSuite = ({ harness }: SuiteContext) => {
  it('claim tells the status the run had before: null when created, running on a takeover', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('previous-status');
    const now = newClock().now();
    expect(await claimAs(storage, runId, 'a', now)).toMatchObject({ kind: 'claimed', previousStatus: null });
    await storage.setLease({ runId, owner: 'a', leaseExpiresAt: 0, now: now + 1 });
    expect(await claimAs(storage, runId, 'b', now + 1)).toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
    });
  });

  it('parks the run: suspended, no owner, due at the wake time, records kept; a resend changes nothing', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('suspend');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#x', 1, now) });
    await storage.putCleanup({
      runId,
      owner: 'a',
      record: { id: 2, name: 'undo', seq: 2, params: '{}', at: now },
    });
    const wakeAt = now + 3_600_000;
    expect(
      await storage.suspend({ runId, owner: 'a', at: now + 5, wakeAt }),
      'suspend → the wake time stored',
    ).toEqual({
      kind: 'suspended',
      wakeAt,
    });
    const parked = await storage.read(runId);
    expect(
      parked?.run,
      'suspend: set status suspended, clear the owner, updatedAt = at, leaseExpiresAt = wakeAt',
    ).toMatchObject({
      status: 'suspended',
      owner: null,
      leaseExpiresAt: wakeAt,
      updatedAt: now + 5,
    });
    expect(
      parked?.steps.map((s) => s.key),
      'suspend keeps the steps',
    ).toEqual(['s#x']);
    expect(
      parked?.cleanups.map((c) => c.name),
      'suspend keeps the cleanups',
    ).toEqual(['undo']);
    expect(await raw.readRun(runId), 'suspend (raw read)').toMatchObject({
      status: 'suspended',
      owner: null,
    });
    expect(
      await storage.suspend({ runId, owner: 'a', at: now + 9, wakeAt: now + 1 }),
      'suspend resent (owner cleared, status already suspended) → the stored wake time',
    ).toEqual({
      kind: 'suspended',
      wakeAt,
    });
    expect(normalized(await storage.read(runId)), 'a resent suspend changes nothing').toEqual(
      normalized(parked),
    );
  });

  it('refuses a suspend from a non-owner and changes nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('suspend-fenced');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    const before = normalized(await storage.read(runId));
    expect(await storage.suspend({ runId, owner: 'b', at: now, wakeAt: now + 10 })).toEqual({
      kind: 'lease-lost',
    });
    expect(await storage.suspend({ runId: uniqueRunId('absent'), owner: 'b', at: now, wakeAt: now })).toEqual(
      {
        kind: 'lease-lost',
      },
    );
    expect(normalized(await storage.read(runId))).toEqual(before);
  });

  it('wakes at once when the awaited signal is already stored, and keeps FOREVER exact otherwise', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const signalled = uniqueRunId('suspend-signalled');
    await claimAs(storage, signalled, 'a', now);
    await storage.putSignal({ runId: signalled, record: stepRecord('go#signal', 0, now), now });
    expect(
      await storage.suspend({
        runId: signalled,
        owner: 'a',
        at: now + 7,
        wakeAt: FOREVER,
        signalKey: 'go#signal',
      }),
      'suspend with signalKey of a stored record: leaseExpiresAt = at (the signal arrived while the run decided to wait)',
    ).toEqual({ kind: 'suspended', wakeAt: now + 7 });
    expect(
      (await storage.read(signalled))?.run.leaseExpiresAt,
      'suspend stores the wake time it answers',
    ).toBe(now + 7);
    const waiting = uniqueRunId('suspend-forever');
    await claimAs(storage, waiting, 'a', now);
    expect(
      await storage.suspend({ runId: waiting, owner: 'a', at: now, wakeAt: FOREVER, signalKey: 'go#signal' }),
      'suspend with signalKey of an absent record: leaseExpiresAt = wakeAt',
    ).toEqual({ kind: 'suspended', wakeAt: FOREVER });
    expect((await storage.read(waiting))?.run.leaseExpiresAt, 'FOREVER is stored exactly').toBe(FOREVER);
  });

  it('lists the suspended runs that are due, and a claim resumes one whatever its wake time', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const due = uniqueRunId('due');
    const later = uniqueRunId('later');
    for (const [runId, wakeAt] of [
      [due, now + 10],
      [later, now + 1_000],
    ] as const) {
      await claimAs(storage, runId, 'a', now);
      await storage.suspend({ runId, owner: 'a', at: now, wakeAt });
    }
    const found = await storage.list({ statuses: ['suspended'], leaseExpiredAt: now + 10, limit: 1000 });
    const ids = found.map((h) => h.runId);
    expect(ids).toContain(due);
    expect(ids).not.toContain(later);
    const resumed = await claimAs(storage, later, 'b', now + 20);
    expect(resumed).toMatchObject({ kind: 'claimed', previousStatus: 'suspended' });
    expect(resumed.kind === 'claimed' && resumed.snapshot.run).toMatchObject({
      status: 'running',
      owner: 'b',
      attempt: 2,
      leaseExpiresAt: now + 20 + LEASE_MS,
    });
  });
};
