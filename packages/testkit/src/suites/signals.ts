import { expect, it } from 'vitest';
import { newClock, normalized, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs, stepRecord } from '../direct.ts';

/** Signals: an unfenced, first-wins record any process may add, which wakes a parked run. */
export const signalSuite = ({ harness, options }: SuiteContext) => {
  it('refuses a signal to a run that does not exist, creating nothing', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-absent');
    const now = newClock().now();
    expect(await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now), now })).toEqual({
      kind: 'not-found',
    });
    expect(await storage.read(runId)).toBeUndefined();
  });

  it('stores the first signal of a key byte for byte, in the next claim, and answers the later ones with it', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('signal-first');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    const first = stepRecord('go#signal', 0, now, '{"payload":"ünï ☃ \\u0000"}');
    const before = (await storage.read(runId))?.run;
    expect(await storage.putSignal({ runId, record: first, now })).toEqual({
      kind: 'written',
      status: 'running',
    });
    // Not fenced, and it does not touch a running run's owner or lease.
    expect((await storage.read(runId))?.run).toEqual(before);
    expect(
      await storage.putSignal({ runId, record: { ...first, output: '"second"', at: now + 1 }, now: now + 1 }),
    ).toEqual({ kind: 'exists', record: first, status: 'running' });
    const claimed = await claimAs(storage, runId, 'b', now + 100_000);
    expect(claimed.kind === 'claimed' && claimed.snapshot.steps).toEqual([first]);
    if (raw) expect((await raw.readRun(runId))?.outputs['go#signal']).toBe(first.output);
  });

  it('wakes a suspended run: its wake time becomes now, its owner and status stay', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('signal-wakes');
    const now = newClock().now();
    await claimAs(storage, runId, 'a', now);
    await storage.suspend({ runId, owner: 'a', at: now, wakeAt: now + 3_600_000 });
    expect(
      await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now + 5), now: now + 5 }),
    ).toEqual({ kind: 'written', status: 'suspended' });
    expect((await storage.read(runId))?.run).toMatchObject({
      status: 'suspended',
      owner: null,
      leaseExpiresAt: now + 5,
    });
    const due = await storage.list({ statuses: ['suspended'], leaseExpiredAt: now + 5, limit: 1000 });
    expect(due.map((h) => h.runId)).toContain(runId);
    // A signal never moves a wake time later.
    await storage.putSignal({ runId, record: stepRecord('other#signal', 0, now + 9), now: now + 9 });
    expect((await storage.read(runId))?.run.leaseExpiresAt).toBe(now + 5);
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
    expect(await storage.rollback({ runId, owner: 'a', cleanupId: 0, afterSeq: 0 })).toBe('ok');
    expect((await storage.read(runId))?.steps.map((s) => s.key)).toEqual(['go#signal']);
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
    expect(await storage.putSignal({ runId, record: one, now, maxSignals: 2 })).toMatchObject({
      kind: 'written',
    });
    expect(await storage.putSignal({ runId, record: two, now, maxSignals: 2 })).toMatchObject({
      kind: 'written',
    });
    const before = normalized(await storage.read(runId));
    expect(
      await storage.putSignal({ runId, record: stepRecord('three#signal', 0, now), now, maxSignals: 2 }),
    ).toEqual({ kind: 'full', status: 'running' });
    expect(await storage.putSignal({ runId, record: two, now, maxSignals: 2 })).toEqual({
      kind: 'exists',
      record: two,
      status: 'running',
    });
    expect(normalized(await storage.read(runId))).toEqual(before);
    // Without a limit (the run's own timeout records), nothing is refused.
    expect(await storage.putSignal({ runId, record: stepRecord('three#signal', 0, now), now })).toMatchObject(
      {
        kind: 'written',
      },
    );
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
