import {
  cancel,
  durable,
  load,
  manualClock,
  memoryStorage,
  STORAGE_OPERATIONS,
  signal,
  suspensionOf,
} from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { describe, expect, it } from 'vitest';
import { countingStorage } from '../src/index.ts';

describe('countingStorage', () => {
  it('forwards and counts every operation the core lists', async () => {
    const counted = countingStorage(memoryStorage());
    for (const operation of STORAGE_OPERATIONS) expect(typeof counted[operation], operation).toBe('function');
    await counted.read('absent');
    await counted.list({ limit: 1 });
    await counted.cancel({ runId: 'absent', at: 0 });
    await counted.putSignal({
      runId: 'absent',
      record: { key: 'k#signal', name: 'k', seq: 0, output: '1', at: 0 },
      now: 0,
    });
    expect(counted.calls).toEqual({ read: 1, list: 1, cancel: 1, putSignal: 1 });
    expect(counted.total()).toBe(4);
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
