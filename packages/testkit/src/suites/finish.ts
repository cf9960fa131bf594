import { expect, it } from 'vitest';
import { LEASE_MS, newClock, type SuiteContext } from '../context.ts';
import { claimAs, cleanupRecord, createdRun, stepRecord, stored } from '../direct.ts';

/** `setLease` and `finish`, called directly: what each sets, and what each keeps. */
export const finishSuite = ({ harness }: SuiteContext) => {
  it('setLease sets the expiry and updatedAt = now and nothing else; expiry 0 releases the lease, keeping the owner', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'set-lease', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    const before = await stored(storage, runId);
    expect(
      await storage.setLease({ runId, owner: 'a', leaseExpiresAt: now + 7 * LEASE_MS, now: now + 5 }),
      'setLease → ok',
    ).toBe('ok');
    const renewed = await stored(storage, runId);
    expect(renewed, 'setLease: set the lease expiry and updatedAt = now, nothing else').toEqual({
      ...before,
      run: { ...before?.run, leaseExpiresAt: now + 7 * LEASE_MS, updatedAt: now + 5 },
    });
    expect(
      await storage.setLease({ runId, owner: 'a', leaseExpiresAt: 0, now: now + 6 }),
      'setLease to 0 → ok',
    ).toBe('ok');
    expect((await storage.read(runId))?.run, 'setLease to 0 releases the lease and KEEPS the owner').toEqual({
      ...before?.run,
      leaseExpiresAt: 0,
      updatedAt: now + 6,
    });
    expect((await raw.readRun(runId))?.owner, 'a released lease keeps its owner (raw read)').toBe('a');
    expect(
      await storage.putStep({ runId, owner: 'a', record: stepRecord('s#2', 2, now) }),
      'the owner of a released lease still writes until someone claims the run',
    ).toEqual({ kind: 'written' });
    expect(
      await claimAs(storage, runId, 'b', now + 7),
      'a released lease (expiry 0) lets a retry claim the run at once',
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: 'running',
      snapshot: { run: { owner: 'b', attempt: 2 } },
    });
  });

  for (const [status, error] of [
    ['completed', null],
    ['failed', '{"message":"payment declined: \\"card\\" 💳","at":"2026-01-01T00:00:00.000Z"}'],
    ['compensated', null],
  ] as const) {
    for (const dropCleanups of [false, true]) {
      it(`finish ${status} (dropCleanups ${dropCleanups}) sets the status, clears owner and lease, stores the error, updatedAt = at; ${dropCleanups ? 'drops' : 'keeps'} the cleanups`, async () => {
        const { storage, raw } = harness();
        const now = newClock().now();
        const runId = await createdRun(storage, `finish-${status}-${dropCleanups}`, now);
        await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
        await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(2, now) });
        const before = await stored(storage, runId);
        const at = now + 42;
        expect(
          await storage.finish({ runId, owner: 'a', status, at, error, dropCleanups }),
          `finish ${status} by the owner → ok`,
        ).toBe('ok');
        const after = await stored(storage, runId);
        expect(
          after?.run,
          `finish: set the final status, clear the owner and the lease (0), store error (or null) byte for byte, set updatedAt = at`,
        ).toEqual({ ...before?.run, status, owner: null, leaseExpiresAt: 0, error, updatedAt: at });
        expect(after?.steps, 'finish keeps the steps').toEqual(before?.steps);
        expect(
          after?.cleanups,
          dropCleanups
            ? 'finish with dropCleanups deletes every pending cleanup'
            : 'finish without dropCleanups keeps the cleanups',
        ).toEqual(dropCleanups ? [] : before?.cleanups);
        expect(await raw.readRun(runId), 'finish (raw read)').toMatchObject({
          status,
          owner: null,
          cleanupNames: dropCleanups ? [] : ['undo-2'],
        });
      });
    }
  }
};
