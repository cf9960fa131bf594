import type { RunStatus, Storage } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { era, LEASE_MS, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, cleanupRecord, stepRecord, stored } from '../direct.ts';

/** A run created at `at` with a step, a signal and two cleanups, finished as `status` at `finishedAt`. */
const finishedRun = async (
  storage: Storage,
  runId: string,
  status: Exclude<RunStatus, 'running' | 'suspended' | 'cancelled'>,
  at: number,
  finishedAt = at,
) => {
  await claimAs(storage, runId, 'a', at);
  await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, at) });
  await storage.putSignal({ runId, record: stepRecord('go#signal', 0, at), now: at });
  await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(2, at) });
  await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(3, at) });
  const error = status === 'failed' ? '"boom"' : null;
  await storage.finish({ runId, owner: 'a', status, at: finishedAt, error, dropCleanups: false });
};

/** `purge`, called directly: whole runs, the cutoff, statuses, limit, and a claim racing it. */
export const purgeSuite = ({ harness, options }: SuiteContext) => {
  it('deletes a run whole: the run created next under its id holds none of its steps, signals or cleanups', async () => {
    const { storage, raw } = harness();
    const at = era(1971) + 1_000;
    const label = uniqueRunId('purge-whole');
    const doomed = `${label}/failed`;
    const kept = `${label}/running`;
    await finishedRun(storage, doomed, 'failed', at);
    await claimAs(storage, kept, 'a', at);
    await storage.putStep({ runId: kept, owner: 'a', record: stepRecord('s#1', 1, at) });
    const keptBefore = await stored(storage, kept);
    expect(
      await storage.purge({ statuses: ['failed'], updatedBefore: at + 1, limit: 1000 }),
      'purge resolves how many runs it deleted',
    ).toBe(1);
    expect(await storage.read(doomed), 'purge deletes the head').toBeUndefined();
    expect(await raw.readRun(doomed), 'purge deletes the head (raw read)').toBeUndefined();
    expect(await stored(storage, kept), 'purge keeps a run whose status is not listed').toEqual(keptBefore);
    const anew = await claimAs(storage, doomed, 'b', at + 2);
    expect(
      anew,
      'purge deletes the head, steps and cleanups: a run created anew under the id holds none of the old records',
    ).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
      snapshot: { run: { attempt: 1, status: 'running', owner: 'b' }, steps: [], cleanups: [] },
    });
    expect(
      await stored(storage, doomed),
      'purge deletes the steps, signals and cleanups (read after a new claim)',
    ).toMatchObject({ steps: [], cleanups: [] });
    expect(
      await raw.readRun(doomed),
      'purge deletes the steps, signals and cleanups (raw read after a new claim)',
    ).toMatchObject({ stepKeys: [], cleanupNames: [] });
  });

  it('deletes at most limit runs, oldest first, whose status is listed and updatedAt < updatedBefore (strict)', async () => {
    const { storage } = harness();
    const at = era(1972) + 1_000;
    const label = uniqueRunId('purge-limit');
    // Enough runs that a backend which purges in some other order (bucket by bucket, by id…)
    // deletes a newer run first whatever the ids hash to.
    const older = Array.from({ length: 8 }, (_, i) => `${label}/older-${i}`);
    const newer = Array.from({ length: 8 }, (_, i) => `${label}/newer-${i}`);
    const atCutoff = `${label}/at-cutoff`;
    const failed = `${label}/failed`;
    const running = `${label}/running`;
    // The newer ones first, so that creation order does not give the answer away.
    for (const runId of newer) await finishedRun(storage, runId, 'compensated', at, at + 1);
    for (const runId of older) await finishedRun(storage, runId, 'compensated', at);
    await finishedRun(storage, atCutoff, 'compensated', at, at + 2);
    await finishedRun(storage, failed, 'failed', at);
    await claimAs(storage, running, 'a', at);
    const present = async (runIds: readonly string[]) => {
      const found: string[] = [];
      for (const runId of runIds) if ((await storage.read(runId)) !== undefined) found.push(runId);
      return found;
    };
    const query = { statuses: ['compensated'] as const, updatedBefore: at + 2, limit: older.length };
    expect(await storage.purge(query), 'purge deletes up to limit runs and says how many').toBe(older.length);
    expect(await present(older), 'purge deletes the oldest first').toEqual([]);
    expect(await present(newer), 'purge deletes the oldest first: the newer runs wait').toEqual(newer);
    expect(await storage.purge(query), 'purge deletes up to limit runs and says how many').toBe(newer.length);
    expect(await present(newer), 'purge deletes every match, a limit at a time').toEqual([]);
    expect(
      await storage.purge(query),
      'purge: only updatedAt < updatedBefore (strict): a run updated exactly at the cutoff is kept',
    ).toBe(0);
    expect(await present([atCutoff]), 'purge: a run updated exactly at the cutoff is kept').toEqual([
      atCutoff,
    ]);
    expect(await storage.purge({ ...query, updatedBefore: at + 3 }), 'purge past the cutoff').toBe(1);
    expect(await present([failed, running]), 'purge deletes only runs whose status is listed').toEqual([
      failed,
      running,
    ]);
  });

  it(`of ${options.concurrency} runs purged while claimed, each claim answers with what is stored after the purge`, async () => {
    const { storage, reopen, raw } = harness();
    const at = era(1970) + 1_000;
    const label = uniqueRunId('purge-race');
    const runIds = Array.from({ length: options.concurrency }, (_, i) => `${label}/${i}`);
    for (const runId of runIds) await finishedRun(storage, runId, 'failed', at);
    const purger = await reopen();
    const claimers = [storage, await reopen()];
    const claim = (i: number) =>
      claimers[i % 2]!.claim({ runId: runIds[i]!, owner: `b${i}`, now: at + 5, leaseMs: LEASE_MS });
    // Half the claims are sent before the purge and half after, so that they meet on any backend.
    const half = Math.floor(runIds.length / 2);
    const early = runIds.slice(0, half).map((_, i) => claim(i));
    const purged = purger.purge({ statuses: ['failed'], updatedBefore: at + 1, limit: 1000 });
    const late = runIds.slice(half).map((_, i) => claim(half + i));
    const outcomes = await Promise.all([...early, ...late]);
    const count = await purged;
    let created = 0;
    for (const [i, outcome] of outcomes.entries()) {
      const runId = runIds[i]!;
      expect(outcome.kind, `a claim of a failed run with no owner, racing a purge: claimed (run ${i})`).toBe(
        'claimed',
      );
      if (outcome.kind !== 'claimed') continue;
      const after = await stored(storage, runId);
      expect(
        normalized(outcome.snapshot),
        `a claim racing a purge answers with what is stored after both (run ${i})`,
      ).toEqual(after);
      if (outcome.previousStatus === null) {
        created++;
        expect(
          after,
          `a run the purge deleted, then claimed: created anew, never a new head with the old records (run ${i})`,
        ).toMatchObject({ run: { attempt: 1 }, steps: [], cleanups: [] });
        expect(
          await raw.readRun(runId),
          `a run deleted whole, then created anew (raw read, run ${i})`,
        ).toMatchObject({
          stepKeys: [],
          cleanupNames: [],
        });
      } else {
        expect(
          { previousStatus: outcome.previousStatus, attempt: after?.run.attempt, steps: after?.steps.length },
          `a run claimed before the purge reached it is kept whole (run ${i})`,
        ).toEqual({ previousStatus: 'failed', attempt: 2, steps: 2 });
      }
    }
    expect(count, 'purge counts exactly the runs it deleted: those the claims then created anew').toBe(
      created,
    );
  });
};
