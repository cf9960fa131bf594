import {
  cancel,
  durable,
  load,
  manualClock,
  memoryStorage,
  STORAGE_OPERATIONS,
  type Storage,
  signal,
  suspensionOf,
} from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { describe, expect, it } from 'vitest';
import { countingStorage } from '../src/index.ts';

describe('countingStorage', () => {
  it('forwards every operation the core lists to the same method of the wrapped storage, and counts it', async () => {
    // Each method of this stand-in answers with its own name and the request it got.
    const inner = {
      ...memoryStorage(),
      ...Object.fromEntries(
        STORAGE_OPERATIONS.map((operation) => [
          operation,
          async (request: unknown) => ({ operation, request }),
        ]),
      ),
    } as Storage;
    const counted = countingStorage(inner);
    for (const [i, operation] of STORAGE_OPERATIONS.entries()) {
      const call = counted[operation] as (request: unknown) => Promise<unknown>;
      expect(await call({ i })).toEqual({ operation, request: { i } });
    }
    expect(counted.calls).toEqual(Object.fromEntries(STORAGE_OPERATIONS.map((operation) => [operation, 1])));
    expect(counted.total()).toBe(STORAGE_OPERATIONS.length);
  });

  it('stays a wrapper when spread, as a mutant or a test double does', async () => {
    const counted = countingStorage(memoryStorage());
    const spread = { ...counted };
    await spread.read('absent');
    expect(counted.calls).toEqual({ read: 1 });
    expect('total' in counted && 'claim' in counted).toBe(true);
  });

  it('forwards an optional operation only when the storage has it, so the core sees what the backend can do', async () => {
    const withBatches = countingStorage(memoryStorage());
    expect(typeof withBatches.putSteps).toBe('function');
    expect(await withBatches.putSteps?.([])).toEqual([]);
    expect(withBatches.calls).toEqual({ putSteps: 1 });
    const { putSteps: _, ...without } = memoryStorage();
    expect(countingStorage(without).putSteps).toBeUndefined();
  });

  it('reads the optional properties through, at each access', () => {
    const inner = {
      ...memoryStorage(),
      maxValueBytes: 10,
      ownerPrefix: 'job-1',
      signalLimits: { perRun: 2 },
    };
    const counted = countingStorage(inner);
    expect([counted.maxValueBytes, counted.ownerPrefix, counted.signalLimits]).toEqual([
      10,
      'job-1',
      { perRun: 2 },
    ]);
    inner.ownerPrefix = 'job-2';
    expect(counted.ownerPrefix).toBe('job-2');
  });

  it('carries a sleep, a signal and a cancellation through the core', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const counted = countingStorage(memoryStorage());
    const cp = await load(counted, { clock })({})('sleeper');
    await durable(counted)(cp)('before')({})(() => 1);
    const parked = await R.sleep(counted)(cp)('nap')(1_000).match(
      () => undefined,
      (e) => e,
    );
    expect(suspensionOf(parked)).toMatchObject({ type: 'Suspended', reason: 'sleep' });
    await signal(counted, { clock })('sleeper')('go')('payload');
    expect(await cancel(counted, { clock })('sleeper')).toMatchObject({ status: 'cancelled' });
    expect(counted.calls).toMatchObject({ suspend: 1, putSignal: 1, cancel: 1 });
  });
});
