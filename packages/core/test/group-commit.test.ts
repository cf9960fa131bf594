import { describe, expect, it } from 'vitest';
import {
  complete,
  DurableXError,
  durable,
  inspectRun,
  load,
  manualClock,
  memoryStorage,
  type PutStepOutcome,
  type PutStepRequest,
  type Storage,
} from '../src/index.ts';

/*
 * Group commit (storage/group-commit.ts): step writes of several runs ready in the same tick leave
 * in one `putSteps`, each fenced and answered on its own; a storage without `putSteps` gets one
 * `putStep` per write; a lone workflow never waits for a batch.
 */

interface Recorded {
  readonly calls: string[];
  readonly batches: number[];
}

/** The memory storage, recording which write operations the core called (and batch sizes). */
const recording = (
  inner: Storage,
  options: { putSteps?: (requests: readonly PutStepRequest[]) => Promise<readonly PutStepOutcome[]> } = {},
): Storage & Recorded => {
  const calls: string[] = [];
  const batches: number[] = [];
  const storage: Storage & Recorded = {
    ...inner,
    calls,
    batches,
    claim: (r) => inner.claim(r),
    putStep: (r) => {
      calls.push('putStep');
      return inner.putStep(r);
    },
    putSteps: (requests) => {
      calls.push('putSteps');
      batches.push(requests.length);
      return (options.putSteps ?? (inner.putSteps as NonNullable<Storage['putSteps']>))(requests);
    },
    finish: (r) => inner.finish(r),
    setLease: (r) => inner.setLease(r),
  };
  return storage;
};

const workflow = async (storage: Storage, runId: string, steps: number) => {
  const cp = await load(storage)({})(runId);
  const step = durable(storage)(cp);
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += await step(`s${i}`)(i)(() => i);
  await complete(storage)(cp);
  return sum;
};

describe('group commit', () => {
  it('a lone workflow writes each step at once with putStep: no batch, no wait', async () => {
    const storage = recording(memoryStorage());
    expect(await workflow(storage, 'alone', 5)).toBe(10);
    expect(storage.calls).toEqual(Array(5).fill('putStep'));
  });

  it('16 runs stepping together share round trips: far fewer calls than writes, every step stored', async () => {
    const storage = recording(memoryStorage());
    const sums = await Promise.all(Array.from({ length: 16 }, (_, i) => workflow(storage, `run-${i}`, 10)));
    expect(sums).toEqual(Array(16).fill(45));
    const written =
      storage.calls.filter((c) => c === 'putStep').length + storage.batches.reduce((a, b) => a + b, 0);
    expect(written).toBe(160);
    expect(storage.calls.length).toBeLessThan(40);
    expect(Math.max(...storage.batches)).toBeGreaterThanOrEqual(8);
    for (let i = 0; i < 16; i++) {
      const snapshot = await inspectRun(storage)(`run-${i}`);
      expect(snapshot?.steps.map((s) => s.name).sort()).toEqual(
        Array.from({ length: 10 }, (_, k) => `s${k}`).sort(),
      );
    }
  });

  it('a lost lease in a batch fails only its own run; the others go on', async () => {
    const inner = memoryStorage();
    const clock = manualClock();
    const storage = recording(inner);
    const runs = await Promise.all(
      ['a', 'b', 'c'].map(async (id) => await load(storage, { clock, leaseMs: 1000 })({})(id)),
    );
    // b is taken over by another process: its next write is fenced out.
    const owner = (await inspectRun(inner)('b'))?.run.owner as string;
    await inner.claim({ runId: 'b', owner: 'thief', now: clock.now(), leaseMs: 1000, ifOwner: owner });
    const results = await Promise.allSettled(runs.map((cp) => durable(storage)(cp)('x')(1)(() => 'done')));
    expect(storage.batches).toContain(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const lost = (results[1] as PromiseRejectedResult).reason;
    expect(lost).toBeInstanceOf(DurableXError);
    expect((lost as DurableXError).error.type).toBe('LeaseLost');
    expect((await inspectRun(inner)('b'))?.steps).toEqual([]);
  });

  it('a batch the storage cannot write fails each of its steps with StorageUnavailable', async () => {
    const storage = recording(memoryStorage(), {
      putSteps: () => Promise.reject(new Error('connection reset')),
    });
    const runs = await Promise.all(['a', 'b', 'c'].map((id) => load(storage)({})(id)));
    const results = await Promise.allSettled(runs.map((cp) => durable(storage)(cp)('x')(1)(() => 1)));
    expect(storage.calls).toEqual(['putStep', 'putSteps']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    for (const r of results.slice(1)) {
      expect(((r as PromiseRejectedResult).reason as DurableXError).error).toMatchObject({
        type: 'StorageUnavailable',
        op: 'putStep',
      });
    }
  });

  it('a storage answering another number of outcomes than writes is a failure, not a guess', async () => {
    const storage = recording(memoryStorage(), { putSteps: async () => [{ kind: 'written' }] });
    const runs = await Promise.all(['a', 'b', 'c'].map((id) => load(storage)({})(id)));
    const results = await Promise.allSettled(runs.map((cp) => durable(storage)(cp)('x')(1)(() => 1)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    const reason = (results[1] as PromiseRejectedResult).reason as DurableXError;
    expect(reason.error).toMatchObject({ type: 'StorageUnavailable' });
    expect(String((reason.error as { cause: Error }).cause.message)).toMatch(/1 outcomes for 2 requests/);
  });

  it('a storage without putSteps gets one putStep per write', async () => {
    const { putSteps: _, ...withoutBatches } = recording(memoryStorage());
    const storage = withoutBatches as Storage & Recorded;
    const sums = await Promise.all(Array.from({ length: 4 }, (_, i) => workflow(storage, `plain-${i}`, 5)));
    expect(sums).toEqual(Array(4).fill(10));
    expect(storage.calls).toEqual(Array(20).fill('putStep'));
  });
});
