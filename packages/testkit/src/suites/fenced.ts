import type { Fenced, Storage, SuspendOutcome } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { LEASE_MS, newClock, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, cleanupRecord, createdRun, expectUnchanged, stepRecord, stored } from '../direct.ts';

type FencedWrite = (
  storage: Storage,
  runId: string,
  owner: string,
  now: number,
) => Promise<Fenced | { readonly kind: string }>;

/** Every fenced write of the contract, with a request that would change the run if applied. */
const fencedWrites: Record<string, FencedWrite> = {
  putStep: (s, runId, owner, now) => s.putStep({ runId, owner, record: stepRecord('late#1', 7, now) }),
  putCleanup: (s, runId, owner, now) => s.putCleanup({ runId, owner, record: cleanupRecord(8, now) }),
  removeCleanup: (s, runId, owner) => s.removeCleanup({ runId, owner, id: 2 }),
  rollback: (s, runId, owner) => s.rollback({ runId, owner, cleanupId: 2, afterSeq: 0 }),
  setLease: (s, runId, owner, now) => s.setLease({ runId, owner, leaseExpiresAt: now + 9 * LEASE_MS, now }),
  'finish completed': (s, runId, owner, now) =>
    s.finish({ runId, owner, status: 'completed', at: now, error: null, dropCleanups: true }),
  'finish failed': (s, runId, owner, now) =>
    s.finish({ runId, owner, status: 'failed', at: now, error: '"x"', dropCleanups: true }),
  'finish compensated': (s, runId, owner, now) =>
    s.finish({ runId, owner, status: 'compensated', at: now, error: null, dropCleanups: true }),
  'finish cancelled': (s, runId, owner, now) =>
    s.finish({ runId, owner, status: 'cancelled', at: now, error: null, dropCleanups: true }),
  suspend: (s, runId, owner, now) => s.suspend({ runId, owner, at: now, wakeAt: now + 10 }),
};

const lost = (outcome: Fenced | { readonly kind: string }): boolean =>
  outcome === 'lease-lost' || (typeof outcome === 'object' && outcome.kind === 'lease-lost');

/**
 * Fencing, called directly: a write is applied only while `run.owner === owner`, never creates a
 * run, and an owner whose lease merely expired still holds the run until another claims it.
 */
export const fencedSuite = ({ harness }: SuiteContext) => {
  for (const [operation, write] of Object.entries(fencedWrites)) {
    it(`${operation} on an absent run answers lease-lost and creates nothing`, async () => {
      const { storage, raw } = harness();
      const runId = uniqueRunId(`absent-${operation.replace(' ', '-')}`);
      const now = newClock().now();
      const outcome = await write(storage, runId, 'a', now);
      expect(
        lost(outcome),
        `${operation} on an absent run: fenced → 'lease-lost' (got ${JSON.stringify(outcome)})`,
      ).toBe(true);
      expect(await storage.read(runId), `${operation} on an absent run creates nothing`).toBeUndefined();
      expect(
        await raw.readRun(runId),
        `${operation} on an absent run creates nothing (raw read)`,
      ).toBeUndefined();
      // Records written without a head would be picked up by the run created next under the id.
      const created = await claimAs(storage, runId, 'b', now);
      expect(
        created,
        `${operation} on an absent run leaves no records behind for the run created next`,
      ).toMatchObject({
        kind: 'claimed',
        previousStatus: null,
        snapshot: { run: { attempt: 1, status: 'running' }, steps: [], cleanups: [] },
      });
      expect(
        await raw.readRun(runId),
        `${operation} on an absent run leaves no records behind (raw read)`,
      ).toMatchObject({
        stepKeys: [],
        cleanupNames: [],
      });
    });
  }

  /** A run of owner 'a' with a step (seq 1) and a cleanup (id 2). */
  const ownedRun = async (label: string, now: number) => {
    const { storage } = harness();
    const runId = await createdRun(storage, label, now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(2, now) });
    return runId;
  };

  it('refuses every fenced write from another owner, live lease or not, and changes nothing', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await ownedRun('fenced-other', now);
    const before = await stored(storage, runId);
    for (const [operation, write] of Object.entries(fencedWrites)) {
      for (const at of [now + 1, now + 10 * LEASE_MS]) {
        const outcome = await write(storage, runId, 'b', at);
        expect(
          lost(outcome),
          `${operation} from a non-owner: fenced → 'lease-lost' (got ${JSON.stringify(outcome)})`,
        ).toBe(true);
        await expectUnchanged(storage, runId, before, `${operation} from a non-owner`);
      }
    }
  });

  it('refuses the last owner of a suspended run (its owner is cleared), and changes nothing', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await ownedRun('fenced-suspended', now);
    await storage.suspend({ runId, owner: 'a', at: now + 1, wakeAt: now + 1_000 });
    const before = await stored(storage, runId);
    for (const [operation, write] of Object.entries(fencedWrites)) {
      // A resent suspend is idempotent (checked with the resends): not a write from a stranger.
      if (operation === 'suspend') continue;
      const outcome = await write(storage, runId, 'a', now + 2);
      expect(
        lost(outcome),
        `${operation} on a run whose owner is null: fenced (owner must equal the request's) → 'lease-lost' (got ${JSON.stringify(outcome)})`,
      ).toBe(true);
      await expectUnchanged(storage, runId, before, `${operation} on a suspended run`);
    }
  });

  it('lets an owner whose lease expired keep writing until another process claims the run', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const late = now + 3 * LEASE_MS;
    const runId = await ownedRun('fenced-expired', now);
    const rule = 'a lease that merely expired is still held by its owner until someone else claims the run';
    expect(
      await storage.setLease({ runId, owner: 'a', leaseExpiresAt: late + LEASE_MS, now: late }),
      `setLease: ${rule}`,
    ).toBe('ok');
    expect((await storage.read(runId))?.run, 'setLease sets the expiry and updatedAt = now').toMatchObject({
      owner: 'a',
      leaseExpiresAt: late + LEASE_MS,
      updatedAt: late,
    });
    const expiredAgain = late + 2 * LEASE_MS;
    expect(
      await storage.putStep({ runId, owner: 'a', record: stepRecord('s#3', 3, expiredAgain) }),
      `putStep: ${rule}`,
    ).toEqual({
      kind: 'written',
    });
    expect(
      await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(4, expiredAgain) }),
      `putCleanup: ${rule}`,
    ).toBe('ok');
    expect(await storage.removeCleanup({ runId, owner: 'a', id: 4 }), `removeCleanup: ${rule}`).toBe('ok');
    expect(
      await storage.rollback({ runId, owner: 'a', cleanupId: 2, afterSeq: 1 }),
      `rollback: ${rule}`,
    ).toBe('ok');
    expect(await stored(storage, runId), "the expired owner's writes are applied").toMatchObject({
      steps: [{ key: 's#1' }],
      cleanups: [],
    });
    const outcome: SuspendOutcome = await storage.suspend({
      runId,
      owner: 'a',
      at: expiredAgain,
      wakeAt: expiredAgain + 5,
    });
    expect(outcome, `suspend: ${rule}`).toEqual({ kind: 'suspended', wakeAt: expiredAgain + 5 });

    const other = await ownedRun('fenced-expired-finish', now);
    expect(
      await storage.finish({
        runId: other,
        owner: 'a',
        status: 'failed',
        at: late,
        error: '"late"',
        dropCleanups: true,
      }),
      `finish: ${rule}`,
    ).toBe('ok');
    // Once another process claimed the run, the expired owner is refused.
    const taken = await ownedRun('fenced-expired-taken', now);
    await claimAs(storage, taken, 'b', late);
    expect(
      await storage.putStep({ runId: taken, owner: 'a', record: stepRecord('s#3', 3, late) }),
      'the old owner after a takeover',
    ).toEqual({
      kind: 'lease-lost',
    });
  });
};
