import { expect, it } from 'vitest';
import { LEASE_MS, newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, stepRecord } from '../direct.ts';

/**
 * Claims that arrive twice (a driver resends after a lost reply) and conditional takeovers
 * (`ifOwner`: a dead owner's run, or the run housekeeping listed, and never one that moved on).
 */
export const takeoverSuite = ({ harness, options }: SuiteContext) => {
  it('answers a resent claim as the first one, changing nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('claim-resent');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    await storage.suspend({ runId, owner: 'a', at: now, wakeAt: now + 10 });
    const first = await claimAs(storage, runId, 'b', now + 10);
    expect(first).toMatchObject({ kind: 'claimed', previousStatus: 'suspended' });
    const stored = normalized(await storage.read(runId));
    expect(stored?.run).toMatchObject({ status: 'running', owner: 'b', attempt: 2 });
    const again = await claimAs(storage, runId, 'b', now + 11);
    expect(
      again.kind,
      'claim resent (owner === owner): change nothing → claimed with the snapshot and the previousStatus the first arrival answered',
    ).toBe('claimed');
    if (again.kind !== 'claimed' || first.kind !== 'claimed') return;
    expect(
      again.previousStatus,
      'claim resent (owner === owner): change nothing → claimed with the snapshot and the previousStatus the first arrival answered',
    ).toBe('suspended');
    expect(
      normalized(again.snapshot),
      'claim resent (owner === owner): change nothing → claimed with the snapshot and the previousStatus the first arrival answered',
    ).toEqual(stored);
    expect(normalized(await storage.read(runId)), 'a resent claim changes nothing').toEqual(stored);
  });

  it('answers a resent creating claim as the first one: previousStatus null, attempt 1', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('claim-resent-new');
    const now = newClock().now();
    expect(await claimAs(storage, runId, 'a', now)).toMatchObject({ kind: 'claimed', previousStatus: null });
    const again = await claimAs(storage, runId, 'a', now + 1);
    expect(
      again,
      'claim resent (owner === owner): change nothing → claimed with the snapshot and the previousStatus the first arrival answered',
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
      snapshot: { run: { attempt: 1 } },
    });
  });

  it('with ifOwner, takes a run over from exactly that owner even while its lease is live', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('claim-if-owner');
    const now = newClock().now();
    await claimAs(storage, runId, 'dead', now);
    await storage.putStep({ runId, owner: 'dead', record: stepRecord('s#1', 1, now) });
    const taken = await storage.claim({
      runId,
      owner: 'b',
      now: now + 1,
      leaseMs: LEASE_MS,
      ifOwner: 'dead',
    });
    expect(taken, 'claim with ifOwner: owner === ifOwner (whatever its lease) → take it over').toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
      snapshot: { run: { owner: 'b', status: 'running', attempt: 2, leaseExpiresAt: now + 1 + LEASE_MS } },
    });
    expect(
      taken.kind === 'claimed' && taken.snapshot.steps.map((s) => s.key),
      'the snapshot of a takeover holds every step written before it',
    ).toEqual(['s#1']);
    expect(
      await storage.putStep({ runId, owner: 'dead', record: stepRecord('s#2', 2, now) }),
      'the old owner after an ifOwner takeover → lease-lost',
    ).toEqual({ kind: 'lease-lost' });
  });

  it('with ifOwner and ifLeaseExpiresAt, takes over only a lease that was not renewed since', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('claim-if-lease');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    const seen = (await storage.read(runId))?.run.leaseExpiresAt ?? 0;
    // The owner renews after the caller saw the run: it is alive, the takeover must not happen.
    await storage.setLease({ runId, owner: 'a', leaseExpiresAt: seen + 5_000, now: now + 1 });
    const renewed = normalized(await storage.read(runId));
    expect(
      await storage.claim({
        runId,
        owner: 'b',
        now: now + 2,
        leaseMs: LEASE_MS,
        ifOwner: 'a',
        ifLeaseExpiresAt: seen,
      }),
      'ifOwner with a lease renewed since → busy',
    ).toMatchObject({ kind: 'busy', run: { owner: 'a', leaseExpiresAt: seen + 5_000 } });
    expect(normalized(await storage.read(runId)), 'a refused conditional claim changes nothing').toEqual(
      renewed,
    );
    expect(
      await storage.claim({
        runId,
        owner: 'b',
        now: now + 3,
        leaseMs: LEASE_MS,
        ifOwner: 'a',
        ifLeaseExpiresAt: seen + 5_000,
      }),
      'ifOwner with the lease as it is now → claimed',
    ).toMatchObject({ kind: 'claimed', snapshot: { run: { owner: 'b', attempt: 2 } } });
  });

  it('with ifOwner, changes nothing when the run moved on, and never creates one', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const absent = uniqueRunId('claim-if-owner-absent');
    expect(
      await storage.claim({ runId: absent, owner: 'b', now, leaseMs: LEASE_MS, ifOwner: 'a' }),
      'claim with ifOwner of an absent run → not-found',
    ).toEqual({ kind: 'not-found' });
    expect(await storage.read(absent), 'claim with ifOwner of an absent run creates nothing').toBeUndefined();

    const runId = uniqueRunId('claim-if-owner-moved');
    await claimAs(storage, runId, 'a', now);
    // Another owner took it over after a's lease expired: not a's run any more.
    await claimAs(storage, runId, 'c', now + LEASE_MS);
    const before = normalized(await storage.read(runId));
    const moved = await storage.claim({
      runId,
      owner: 'b',
      now: now + LEASE_MS,
      leaseMs: LEASE_MS,
      ifOwner: 'a',
    });
    expect(moved, 'claim with ifOwner when another owner holds the run → busy').toMatchObject({
      kind: 'busy',
      run: { owner: 'c' },
    });
    expect(normalized(await storage.read(runId)), 'a busy ifOwner claim changes nothing').toEqual(before);
    // Suspended meanwhile (no owner, lease expired): still not a's run, even though it is free.
    await storage.suspend({ runId, owner: 'c', at: now + LEASE_MS, wakeAt: now + LEASE_MS });
    const parked = normalized(await storage.read(runId));
    expect(
      await storage.claim({ runId, owner: 'b', now: now + 2 * LEASE_MS, leaseMs: LEASE_MS, ifOwner: 'c' }),
      'claim with ifOwner when NO owner holds the run (suspended since) → busy',
    ).toMatchObject({ kind: 'busy', run: { owner: null, status: 'suspended' } });
    expect(normalized(await storage.read(runId)), 'a busy ifOwner claim changes nothing').toEqual(parked);

    const done = uniqueRunId('claim-if-owner-completed');
    await claimAs(storage, done, 'a', now);
    await storage.finish({
      runId: done,
      owner: 'a',
      status: 'completed',
      at: now,
      error: null,
      dropCleanups: true,
    });
    expect(
      await storage.claim({ runId: done, owner: 'b', now, leaseMs: LEASE_MS, ifOwner: 'a' }),
      'claim with ifOwner of a completed run → completed',
    ).toMatchObject({
      kind: 'completed',
    });
  });

  it('with ifOwner, takes over a cancelled run from its owner and keeps it cancelled', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('claim-if-owner-cancelled');
    const now = newClock().now();
    await claimAs(storage, runId, 'dead', now);
    await storage.putCleanup({
      runId,
      owner: 'dead',
      record: { id: 1, name: 'undo', seq: 1, params: '{}', at: now },
    });
    await storage.cancel({ runId, at: now + 1 });
    const taken = await storage.claim({
      runId,
      owner: 'b',
      now: now + 2,
      leaseMs: LEASE_MS,
      ifOwner: 'dead',
    });
    expect(
      taken,
      'claim with ifOwner of a cancelled run: taken over, but a cancelled run stays cancelled (its new owner only runs its cleanups)',
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: 'cancelled',
      snapshot: { run: { status: 'cancelled', owner: 'b', attempt: 2 }, cleanups: [{ name: 'undo' }] },
    });
  });

  it(`of ${options.concurrency} claimers taking over one dead owner's run, exactly one does`, async () => {
    const { storage, reopen } = harness();
    const runId = uniqueRunId('claim-if-owner-race');
    const now = newClock().now();
    await claimAs(storage, runId, 'dead', now);
    const storages = [storage, ...(await Promise.all([reopen(), reopen()]))];
    const outcomes = await Promise.all(
      Array.from({ length: options.concurrency }, (_, i) =>
        storages[i % storages.length]!.claim({
          runId,
          owner: `b${i}`,
          now: now + 1,
          leaseMs: LEASE_MS,
          ifOwner: 'dead',
        }),
      ),
    );
    const winners = outcomes.filter((o) => o.kind === 'claimed');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'busy')).toHaveLength(options.concurrency - 1);
    const head = (await storage.read(runId))?.run;
    expect(head).toMatchObject({ attempt: 2 });
    expect(winners[0]?.kind === 'claimed' && winners[0].snapshot.run.owner).toBe(head?.owner);
  });
};
