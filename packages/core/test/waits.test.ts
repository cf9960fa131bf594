import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as V from '../src/index.ts';
import * as R from '../src/result.ts';
import { type DurableEvent, manualClock, memoryStorage } from '../src/result.ts';
import { attemptKey, isStepKey, signalKey, sleepKey, VERSION_KEY, waitKey } from '../src/run/keys.ts';
import { stepKey } from '../src/run/values.ts';

describe('durable sleep and signals in the core', () => {
  it('the value API throws a DurableXError that suspensionOf reads, and events tell the story', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const events: DurableEvent['type'][] = [];
    const cp = await V.load(storage, { clock, onEvent: (e) => events.push(e.type) })({})('nap');
    const thrown = await V.sleep(storage)(cp)('nap')(new Date(clock.now() + 5000)).catch((e: unknown) => e);
    expect(V.isDurableXError(thrown, 'Suspended')).toBe(true);
    expect(V.suspensionOf(thrown)).toEqual({
      type: 'Suspended',
      runId: 'nap',
      reason: 'sleep',
      name: 'nap',
      resumeAt: clock.now() + 5000,
    });
    expect(String((thrown as Error).message)).toContain('suspended on sleep "nap" until');
    expect(events).toEqual(['run.loaded', 'run.suspended']);
    // The run is parked: later calls of this process answer the same suspension, without I/O.
    const before = await storage.read('nap');
    await expect(V.durable(storage)(cp)('x')({})(() => 1)).rejects.toMatchObject({
      type: 'Suspended',
      error: { name: 'nap', resumeAt: clock.now() + 5000 },
    });
    expect(await storage.read('nap')).toEqual(before);
    expect(V.suspensionOf(new Error('other'))).toBeUndefined();
  });

  it('a catch-all that calls fail lets the suspension through and leaves the run parked', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const cp = await V.load(storage, { clock })({})('catch-all');
    const thrown = await (async () => {
      try {
        await V.sleep(storage)(cp)('nap')(1000);
      } catch (error) {
        await V.fail(storage)(cp)(error);
        throw error;
      }
    })().catch((e: unknown) => e);
    expect(V.suspensionOf(thrown)?.resumeAt).toBe(clock.now() + 1000);
    expect((await storage.read('catch-all'))?.run.status).toBe('suspended');
  });

  it('a replay of a completed run goes past its sleeps even if this process clock is behind', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const first = await R.load(storage, { clock })({})('skew');
    expect((await R.sleep(storage)(first._unsafeUnwrap())('s')(1000)).isErr()).toBe(true);
    clock.advance(1000);
    const second = (await R.load(storage, { clock })({})('skew'))._unsafeUnwrap();
    expect((await R.sleep(storage)(second)('s')(1000)).isOk()).toBe(true);
    await R.complete(storage)(second);
    const behind = manualClock(clock.now() - 10_000);
    const replay = (await R.load(storage, { clock: behind })({})('skew'))._unsafeUnwrap();
    expect(replay.status).toBe('completed');
    expect((await R.sleep(storage)(replay)('s')(1000)).isOk()).toBe(true);
  });

  it('a cancellation noticed inside a step that runs another step does not deadlock', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const cp = (await R.load(storage, { clock, leaseMs: 3000 })({})('nested'))._unsafeUnwrap();
    const outer = R.durable(storage)(cp)('outer')({})(async () => {
      await R.cancel(storage, { clock })('nested');
      const inner = await R.durable(storage)(cp)('inner')({})(() => 1);
      return inner.isErr() ? inner.error.type : 'inner ran';
    });
    // The inner step's refusal waits for running step bodies (the outer one) at most one lease.
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock.advance(3000);
    const settled = await outer;
    expect(settled.isErr() ? settled.error.type : settled.value).toBe('Cancelled');
    expect((await storage.read('nested'))?.run.status).toBe('cancelled');
  });

  it('no step key is ever one of the core records, whatever the name and input', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.jsonValue(), (name, input) => {
        const key = stepKey(name, input) as string;
        expect(isStepKey(key)).toBe(true);
        for (const reserved of [
          signalKey(name),
          sleepKey(name),
          waitKey(name),
          attemptKey(key, 3),
          VERSION_KEY,
        ]) {
          expect(isStepKey(reserved)).toBe(false);
          expect(reserved).not.toBe(key);
        }
      }),
    );
  });
});
