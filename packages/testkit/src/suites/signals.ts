import { expect, it } from 'vitest';
import { newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, stepRecord } from '../direct.ts';

/** Signals: an unfenced, first-wins record any process may add, which wakes a parked run. */
export const signalSuite = ({ harness, options }: SuiteContext) => {
  it('refuses a signal to a run that does not exist, creating nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-absent');
    const now = newClock().now();
    expect(
      await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now), now }),
      'putSignal to an absent run → not-found',
    ).toEqual({ kind: 'not-found' });
    expect(await storage.read(runId), 'putSignal to an absent run writes nothing').toBeUndefined();
  });

  it('stores the first signal of a key byte for byte, in the next claim, and answers the later ones with it', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('signal-first');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    const first = stepRecord('go#signal', 0, now, '{"payload":"ünï ☃ \\u0000"}');
    const before = (await storage.read(runId))?.run;
    expect(await storage.putSignal({ runId, record: first, now }), 'putSignal, not fenced → written').toEqual(
      {
        kind: 'written',
        status: 'running',
      },
    );
    expect(
      (await storage.read(runId))?.run,
      "putSignal wakes only a suspended run: a running run's owner and lease are untouched",
    ).toEqual(before);
    expect(
      await storage.putSignal({ runId, record: { ...first, output: '"second"', at: now + 1 }, now: now + 1 }),
      'putSignal of a stored key → exists with the STORED record (first wins)',
    ).toEqual({ kind: 'exists', record: first, status: 'running' });
    const claimed = await claimAs(storage, runId, 'b', now + 100_000);
    expect(
      claimed.kind === 'claimed' && claimed.snapshot.steps,
      'the signal record, byte for byte, in the next claim',
    ).toEqual([first]);
    expect((await raw.readRun(runId))?.outputs['go#signal'], 'the signal payload as stored (raw read)').toBe(
      first.output,
    );
  });

  it('wakes a suspended run: its wake time becomes now, its owner and status stay', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-wakes');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.suspend({ runId, owner: 'a', at: now, wakeAt: now + 3_600_000 });
    expect(
      await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now + 5), now: now + 5 }),
      'putSignal to a suspended run → written, status suspended',
    ).toEqual({ kind: 'written', status: 'suspended' });
    expect(
      (await storage.read(runId))?.run,
      'putSignal wakes a suspended run: leaseExpiresAt = min(leaseExpiresAt, now), owner and status unchanged',
    ).toMatchObject({
      status: 'suspended',
      owner: null,
      leaseExpiresAt: now + 5,
    });
    const due = await storage.list({ statuses: ['suspended'], leaseExpiredAt: now + 5, limit: 1000 });
    expect(
      due.map((h) => h.runId),
      'a woken run is listed as due',
    ).toContain(runId);
    await storage.putSignal({ runId, record: stepRecord('other#signal', 0, now + 9), now: now + 9 });
    expect(
      (await storage.read(runId))?.run.leaseExpiresAt,
      'putSignal: min(leaseExpiresAt, now) never moves a wake time later',
    ).toBe(now + 5);
  });

  it('never wakes a run with a signal it did not write: an existing record, or a full run', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-no-wake');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    const stored = stepRecord('go#signal', 0, now, '"first"');
    await storage.putSignal({ runId, record: stored, now });
    await storage.suspend({ runId, owner: 'a', at: now + 1, wakeAt: now + 3_600_000 });
    const parked = normalized(await storage.read(runId));
    expect(
      await storage.putSignal({ runId, record: { ...stored, output: '"again"' }, now: now + 2 }),
      'putSignal of a stored key → exists with the stored record',
    ).toEqual({ kind: 'exists', record: stored, status: 'suspended' });
    expect(
      normalized(await storage.read(runId)),
      'putSignal wakes the run only when the record is WRITTEN: an existing record changes nothing',
    ).toEqual(parked);
    expect(
      await storage.putSignal({
        runId,
        record: stepRecord('other#signal', 0, now + 3),
        now: now + 3,
        maxSignals: 1,
      }),
      'putSignal past maxSignals → full',
    ).toEqual({ kind: 'full', status: 'suspended' });
    expect(
      normalized(await storage.read(runId)),
      'a full putSignal writes nothing and wakes nothing',
    ).toEqual(parked);
  });

  it('writes a signal to a run of any status without touching its head; only a suspended run is woken', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const cancelled = uniqueRunId('signal-cancelled');
    await claimAs(storage, cancelled, 'a', now);
    await storage.cancel({ runId: cancelled, at: now + 1 });
    const completed = uniqueRunId('signal-completed');
    await claimAs(storage, completed, 'a', now);
    await storage.finish({
      runId: completed,
      owner: 'a',
      status: 'completed',
      at: now + 1,
      error: null,
      dropCleanups: true,
    });
    for (const [runId, status] of [
      [cancelled, 'cancelled'],
      [completed, 'completed'],
    ] as const) {
      const head = (await storage.read(runId))?.run;
      const record = stepRecord('late#signal', 0, now + 2);
      expect(
        await storage.putSignal({ runId, record, now: now + 2 }),
        `putSignal is not fenced: written on a ${status} run, answering its status`,
      ).toEqual({ kind: 'written', status });
      const after = await storage.read(runId);
      expect(
        after?.run,
        `putSignal on a ${status} run: owner, status and lease unchanged (only a suspended run wakes)`,
      ).toEqual(head);
      expect(after?.steps, `putSignal on a ${status} run stores the record`).toContainEqual(record);
    }
  });

  it('keeps signals through rollbacks: they are facts from outside the run', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-rollback');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now), now });
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#2', 2, now) });
    // cleanup id 0 names no cleanup: the core uses it to forget every step.
    expect(await storage.rollback({ runId, owner: 'a', cleanupId: 0, afterSeq: 0 }), 'rollback → ok').toBe(
      'ok',
    );
    expect(
      (await storage.read(runId))?.steps.map((s) => s.key),
      'a signal is a record with seq 0: no rollback (seq > afterSeq >= 0) removes it',
    ).toEqual(['go#signal']);
  });

  it('refuses a new signal past maxSignals with full, but still answers a stored one (and a resend) with it', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-full');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    // Steps do not count: only signal records (seq 0).
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#1', 1, now) });
    const one = stepRecord('one#signal', 0, now, '"1"');
    const two = stepRecord('two#signal', 0, now, '"2"');
    const below = 'putSignal below maxSignals (only signal records, seq 0, count; steps do not) → written';
    expect(await storage.putSignal({ runId, record: one, now, maxSignals: 2 }), below).toMatchObject({
      kind: 'written',
    });
    expect(await storage.putSignal({ runId, record: two, now, maxSignals: 2 }), below).toMatchObject({
      kind: 'written',
    });
    const before = normalized(await storage.read(runId));
    expect(
      await storage.putSignal({ runId, record: stepRecord('three#signal', 0, now), now, maxSignals: 2 }),
      'putSignal when the run already holds maxSignals signal records → full',
    ).toEqual({ kind: 'full', status: 'running' });
    expect(
      await storage.putSignal({ runId, record: two, now, maxSignals: 2 }),
      'putSignal of a stored key → exists (before any full), also for a resend',
    ).toEqual({ kind: 'exists', record: two, status: 'running' });
    expect(normalized(await storage.read(runId)), 'a full putSignal writes nothing').toEqual(before);
    expect(
      await storage.putSignal({ runId, record: stepRecord('three#signal', 0, now), now }),
      "putSignal without maxSignals (the run's own timeout records): no limit",
    ).toMatchObject({ kind: 'written' });
  });

  it(`lets exactly one of ${options.concurrency} concurrent senders win`, async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-race');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    const outcomes = await Promise.all(
      Array.from({ length: options.concurrency }, (_, i) =>
        storage.putSignal({ runId, record: stepRecord('go#signal', 0, now, `"sender ${i}"`), now }),
      ),
    );
    const written = outcomes.filter((o) => o.kind === 'written');
    expect(written).toHaveLength(1);
    const stored = (await storage.read(runId))?.steps.find((s) => s.key === 'go#signal');
    for (const o of outcomes) if (o.kind === 'exists') expect(o.record).toEqual(stored);
    expect(normalized(await storage.read(runId))?.steps).toHaveLength(1);
  });
};
