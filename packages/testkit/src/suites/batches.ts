import type { PutStepOutcome, PutStepRequest, StepRecord, Storage } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { newClock, type SuiteContext } from '../context.ts';
import { createdRun, expectUnchanged, stepRecord, stored } from '../direct.ts';

type PutSteps = NonNullable<Storage['putSteps']>;

/** The storage's `putSteps`, or undefined (the optional operation is absent: the test is skipped). */
const putStepsOf = (storage: Storage): PutSteps | undefined =>
  typeof storage.putSteps === 'function' ? storage.putSteps.bind(storage) : undefined;

/** A small deterministic PRNG (mulberry32): a failing batch is the same batch on every run. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
};

/**
 * `putSteps` (optional: group commit), called directly: several `putStep` requests in one call,
 * each fenced and applied on its own, in order, exactly as `putStep` would, and answered at its
 * index. Skipped for a storage without it (the core then sends one `putStep` per write).
 */
export const batchSuite = ({ harness }: SuiteContext) => {
  it('putSteps answers each request at its index and stores each record byte for byte, across runs', async ({
    skip,
  }) => {
    const { storage, raw } = harness();
    const putSteps = putStepsOf(storage);
    if (!putSteps) return skip('no putSteps');
    const now = newClock().now();
    const a = await createdRun(storage, 'batch-a', now);
    const b = await createdRun(storage, 'batch-b', now, 'b');
    const records = [
      stepRecord('one#1', 1, now, '{"n":1.50,"s":"é🚀"}'),
      stepRecord('two#2', 2, now + 1, '"two"'),
      stepRecord('one#1', 1, now + 2, '"same key, other run"'),
    ];
    const outcomes = await putSteps([
      { runId: a, owner: 'a', record: records[0] as StepRecord },
      { runId: a, owner: 'a', record: records[1] as StepRecord },
      { runId: b, owner: 'b', record: records[2] as StepRecord },
    ]);
    expect(outcomes, 'putSteps: one answer per request, at its index').toEqual([
      { kind: 'written' },
      { kind: 'written' },
      { kind: 'written' },
    ]);
    expect((await stored(storage, a))?.steps, 'putSteps stores every field of each record as given').toEqual(
      records.slice(0, 2),
    );
    expect((await stored(storage, b))?.steps).toEqual([records[2]]);
    expect((await raw.readRun(a))?.outputs, 'putSteps: the outputs as stored (raw read)').toEqual({
      'one#1': records[0]?.output,
      'two#2': records[1]?.output,
    });
    expect(await putSteps([]), 'putSteps of no request answers no outcome').toEqual([]);
  });

  it('putSteps fences each request on its own: a lost lease or a cancelled run fails only its own write', async ({
    skip,
  }) => {
    const { storage } = harness();
    const putSteps = putStepsOf(storage);
    if (!putSteps) return skip('no putSteps');
    const now = newClock().now();
    const held = await createdRun(storage, 'batch-held', now);
    const taken = await createdRun(storage, 'batch-taken', now);
    const cancelled = await createdRun(storage, 'batch-cancelled', now);
    await storage.cancel({ runId: cancelled, at: now });
    const beforeTaken = await stored(storage, taken);
    const beforeCancelled = await stored(storage, cancelled);
    const outcomes = await putSteps([
      { runId: held, owner: 'a', record: stepRecord('x#1', 1, now) },
      { runId: taken, owner: 'not-the-owner', record: stepRecord('x#1', 1, now) },
      { runId: cancelled, owner: 'a', record: stepRecord('x#1', 1, now) },
      { runId: 'absent-run-of-a-batch', owner: 'a', record: stepRecord('x#1', 1, now) },
      { runId: held, owner: 'a', record: stepRecord('y#2', 2, now) },
    ]);
    expect(
      outcomes,
      'putSteps: each request fenced on its own (ok, lease-lost, cancelled, lease-lost, ok)',
    ).toEqual([
      { kind: 'written' },
      { kind: 'lease-lost' },
      { kind: 'cancelled' },
      { kind: 'lease-lost' },
      { kind: 'written' },
    ]);
    expect((await stored(storage, held))?.steps.map((s) => s.key)).toEqual(['x#1', 'y#2']);
    await expectUnchanged(storage, taken, beforeTaken, 'putSteps by another owner');
    await expectUnchanged(storage, cancelled, beforeCancelled, 'putSteps on a cancelled run');
    expect(await storage.read('absent-run-of-a-batch'), 'putSteps never creates a run').toBeUndefined();
  });

  it('putSteps applies its requests in order: a second request of a key gets exists with the first one’s record', async ({
    skip,
  }) => {
    const { storage } = harness();
    const putSteps = putStepsOf(storage);
    if (!putSteps) return skip('no putSteps');
    const now = newClock().now();
    const runId = await createdRun(storage, 'batch-order', now);
    const stored0 = stepRecord('old#0', 1, now, '"stored before"');
    await storage.putStep({ runId, owner: 'a', record: stored0 });
    const first = stepRecord('k#1', 2, now, '"first"');
    const second = { ...first, seq: 3, output: '"second"' };
    const outcomes = await putSteps([
      { runId, owner: 'a', record: { ...stored0, seq: 9, output: '"late"' } },
      { runId, owner: 'a', record: first },
      { runId, owner: 'a', record: second },
    ]);
    expect(
      outcomes,
      'putSteps: a stored key → exists with the stored record; the same key twice → the first wins',
    ).toEqual([{ kind: 'exists', record: stored0 }, { kind: 'written' }, { kind: 'exists', record: first }]);
    expect((await stored(storage, runId))?.steps).toEqual([stored0, first]);
    // A resend of the whole call (its reply lost): every request answers exists with its own record.
    expect(
      await putSteps([{ runId, owner: 'a', record: first }]),
      'a resent putSteps answers exists',
    ).toEqual([{ kind: 'exists', record: first }]);
  });

  it('putSteps does exactly what putStep does, request by request (random batches)', async ({ skip }) => {
    const { storage } = harness();
    const putSteps = putStepsOf(storage);
    if (!putSteps) return skip('no putSteps');
    const now = newClock().now();
    for (let seed = 1; seed <= 12; seed++) {
      const pick = prng(seed);
      // Twin runs: the batch goes to one set, the same requests one by one with putStep to the other.
      const twins = await Promise.all(
        [0, 1, 2].map(async (i) => ({
          batch: await createdRun(storage, `batch-twin-${seed}-${i}`, now),
          single: await createdRun(storage, `single-twin-${seed}-${i}`, now),
        })),
      );
      const cancelledTwin = twins[2] as { batch: string; single: string };
      await storage.cancel({ runId: cancelledTwin.batch, at: now });
      await storage.cancel({ runId: cancelledTwin.single, at: now });
      const plan = Array.from({ length: 3 + pick(20) }, (_, i) => ({
        run: pick(3),
        owner: pick(6) === 0 ? 'intruder' : 'a',
        record: stepRecord(`k${pick(4)}#${pick(3)}`, i + 1, now + i, `{"i":${i},"seed":${seed}}`),
      }));
      const request = (p: (typeof plan)[number], side: 'batch' | 'single'): PutStepRequest => ({
        runId: (twins[p.run] as { batch: string; single: string })[side],
        owner: p.owner,
        record: p.record,
      });
      const batched = await putSteps(plan.map((p) => request(p, 'batch')));
      const single: PutStepOutcome[] = [];
      for (const p of plan) single.push(await storage.putStep(request(p, 'single')));
      expect(batched, `seed ${seed}: putSteps answers what putStep one by one answers`).toEqual(single);
      for (const twin of twins) {
        expect((await stored(storage, twin.batch))?.steps, `seed ${seed}: the same records stored`).toEqual(
          (await stored(storage, twin.single))?.steps,
        );
      }
    }
  });

  it('putSteps takes a few hundred writes in one call', async ({ skip }) => {
    const { storage } = harness();
    const putSteps = putStepsOf(storage);
    if (!putSteps) return skip('no putSteps');
    const now = newClock().now();
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createdRun(storage, `batch-wide-${i}`, now)),
    );
    const requests = Array.from({ length: 320 }, (_, i) => ({
      runId: runs[i % runs.length] as string,
      owner: 'a',
      record: stepRecord(`w${i}#${i}`, i + 1, now, JSON.stringify({ i, pad: 'x'.repeat(i % 50) })),
    }));
    const outcomes = await putSteps(requests);
    expect(
      outcomes.every((o) => o.kind === 'written'),
      'every write of a wide batch is written',
    ).toBe(true);
    for (const runId of runs) expect((await stored(storage, runId))?.steps).toHaveLength(40);
  });
};
