import { FOREVER, type RunStatus } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { LEASE_MS, newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import {
  claimAs,
  claimedSnapshot,
  cleanupRecord,
  createdRun,
  expectUnchanged,
  stepRecord,
  stored,
} from '../direct.ts';

/** `claim`, called directly: creation, the lease boundary, takeovers from every status, snapshots. */
export const claimRulesSuite = ({ harness }: SuiteContext) => {
  it('creates an absent run: running, attempt 1, the owner, lease now + leaseMs, times from the request', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('claim-creates');
    const now = newClock().now() + 123;
    const outcome = await storage.claim({ runId, owner: 'a', now, leaseMs: 4_567 });
    const head = {
      runId,
      status: 'running',
      owner: 'a',
      leaseExpiresAt: now + 4_567,
      attempt: 1,
      createdAt: now,
      updatedAt: now,
      error: null,
    };
    expect(
      outcome,
      'claim of an absent run: create it (running, attempt 1, owner, lease until now + leaseMs, createdAt = updatedAt = now: a storage never reads its own clock) → claimed, previousStatus null',
    ).toEqual({ kind: 'claimed', previousStatus: null, snapshot: { run: head, steps: [], cleanups: [] } });
    expect(await stored(storage, runId), 'read after a creating claim: the head it answered').toEqual({
      run: head,
      steps: [],
      cleanups: [],
    });
    expect(await raw.readRun(runId), 'raw read after a creating claim').toEqual({
      status: 'running',
      owner: 'a',
      stepKeys: [],
      outputs: {},
      cleanupNames: [],
    });
  });

  it('treats a lease ending exactly at now as expired: taken over at now, busy one millisecond before', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'claim-boundary', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    const before = await stored(storage, runId);
    const busy = await claimAs(storage, runId, 'b', now + LEASE_MS - 1);
    expect(busy, 'claim while leaseExpiresAt > now: busy with the current head').toEqual({
      kind: 'busy',
      run: before?.run,
    });
    await expectUnchanged(storage, runId, before, 'a busy claim changes nothing');
    const taken = await claimAs(storage, runId, 'b', now + LEASE_MS);
    expect(
      taken,
      'claim when leaseExpiresAt <= now (equal counts as expired): take it over, attempt + 1, lease until now + leaseMs',
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
      snapshot: {
        run: {
          status: 'running',
          owner: 'b',
          attempt: 2,
          leaseExpiresAt: now + 2 * LEASE_MS,
          createdAt: now,
        },
      },
    });
    expect(
      normalized(claimedSnapshot(taken, 'takeover')),
      'a takeover answers what is stored after it',
    ).toEqual(await stored(storage, runId));
    expect(
      await storage.putStep({ runId, owner: 'a', record: stepRecord('s#2', 2, now) }),
      'the old owner is fenced off after a takeover',
    ).toEqual({
      kind: 'lease-lost',
    });
  });

  /** Brings a fresh run (owner 'a', one step, one cleanup) to `status` with no owner. */
  const parkedIn = async (status: Exclude<RunStatus, 'running' | 'completed'>, now: number) => {
    const { storage } = harness();
    const runId = await createdRun(storage, `claim-from-${status}`, now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now, '{"kept":true}') });
    await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(2, now) });
    if (status === 'suspended') {
      await storage.suspend({ runId, owner: 'a', at: now + 1, wakeAt: FOREVER });
    } else if (status === 'cancelled') {
      await storage.cancel({ runId, at: now + 1 });
      await storage.finish({ runId, owner: 'a', status, at: now + 1, error: null, dropCleanups: false });
    } else {
      const error = status === 'failed' ? '"boom"' : null;
      await storage.finish({ runId, owner: 'a', status, at: now + 1, error, dropCleanups: false });
    }
    expect((await storage.read(runId))?.run, `setting up a ${status} run with no owner`).toMatchObject({
      status,
      owner: null,
    });
    return runId;
  };

  for (const status of ['suspended', 'failed', 'compensated', 'cancelled'] as const) {
    it(`takes over a ${status} run with no owner whatever its lease, keeping its records, and says it was ${status}`, async () => {
      const { storage } = harness();
      const now = newClock().now();
      const runId = await parkedIn(status, now);
      const before = await stored(storage, runId);
      // A suspended run's lease is its wake time (FOREVER here): no owner means free all the same.
      const claimed = await claimAs(storage, runId, 'b', now + 2);
      expect(
        claimed,
        `claim of a ${status} run whose owner is null: take it over (status running, except a cancelled run, which stays cancelled), attempt + 1 → previousStatus '${status}'`,
      ).toMatchObject({
        kind: 'claimed',
        previousStatus: status,
        snapshot: {
          run: {
            status: status === 'cancelled' ? 'cancelled' : 'running',
            owner: 'b',
            attempt: 2,
            leaseExpiresAt: now + 2 + LEASE_MS,
            createdAt: now,
          },
        },
      });
      const snapshot = normalized(claimedSnapshot(claimed, 'takeover'));
      expect(
        { steps: snapshot?.steps, cleanups: snapshot?.cleanups },
        'the snapshot of a takeover holds every record written before it',
      ).toEqual({ steps: before?.steps, cleanups: before?.cleanups });
      expect(snapshot, 'a takeover answers what is stored after it').toEqual(await stored(storage, runId));
    });
  }

  it('answers a completed run with its snapshot and changes nothing, whoever asks', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'claim-completed', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now), now });
    await storage.finish({
      runId,
      owner: 'a',
      status: 'completed',
      at: now + 1,
      error: null,
      dropCleanups: true,
    });
    const before = await stored(storage, runId);
    for (const [owner, at] of [
      ['b', now + 2],
      ['c', now + 10 * LEASE_MS],
    ] as const) {
      const outcome = await claimAs(storage, runId, owner, at);
      expect(outcome.kind, 'claim of a completed run → completed, changing nothing').toBe('completed');
      expect(
        outcome.kind === 'completed' && normalized(outcome.snapshot),
        'completed: with the snapshot',
      ).toEqual(before);
    }
    await expectUnchanged(storage, runId, before, 'claim of a completed run');
  });

  it('answers busy with the current head while another owner holds a live lease, changing nothing', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'claim-busy', now);
    await storage.setLease({ runId, owner: 'a', leaseExpiresAt: now + 5 * LEASE_MS, now: now + 3 });
    const before = await stored(storage, runId);
    expect(
      await claimAs(storage, runId, 'b', now + 4 * LEASE_MS),
      'claim under a live lease → busy with the current head',
    ).toEqual({
      kind: 'busy',
      run: before?.run,
    });
    await expectUnchanged(storage, runId, before, 'a busy claim');
  });
};
