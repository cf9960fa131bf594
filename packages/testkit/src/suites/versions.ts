import { beforeRisky, durable, signal } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { LEASE_EXPIRY, newClock, processOn, type SuiteContext, uniqueRunId } from '../context.ts';

/** Run versions: a deploy restarts old runs from scratch, their cleanups first, their signals kept. */
export const versionSuite = ({ harness }: SuiteContext) => {
  it('restarts a run recorded under another version, and reuses memos under the same one', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('versions');
    const undone: unknown[] = [];
    const registry = { undo: (p: Record<string, unknown>) => void undone.push(p.v) };
    let runs = 0;
    const v1 = await processOn(storage, clock, { version: 'v1' }).load(registry, runId);
    await durable(storage)(v1)('work')({})(() => ++runs);
    await beforeRisky(storage)(v1)('undo')({ v: 1 });
    await signal(storage, { clock })(runId)('go')('kept');
    clock.advance(LEASE_EXPIRY);
    const again = await processOn(storage, clock, { version: 'v1' }).load(registry, runId);
    expect(again.cleanupsRun).toEqual(['undo']);
    expect(await durable(storage)(again)('work')({})(() => ++runs)).toBe(1);
    clock.advance(LEASE_EXPIRY);
    const v2 = processOn(storage, clock, { version: 'v2' });
    const restarted = await v2.load(registry, runId);
    expect(v2.events).toContain('run.restarted');
    expect(await durable(storage)(restarted)('work')({})(() => ++runs)).toBe(2);
    const keys = (await storage.read(runId))?.steps.map((s) => s.key) ?? [];
    expect(keys).toContain('go#signal');
    expect(keys.filter((k) => k.startsWith('work#'))).toHaveLength(1);
    expect(undone).toEqual([1]);
  });
};
