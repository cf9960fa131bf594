import { beforeRisky, durable } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { LEASE_EXPIRY, newClock, processOn, type SuiteContext, stepKeyOf, uniqueRunId } from '../context.ts';

/** A restarted process (a new adapter on the same backend) sees everything; raw reads agree. */
export const persistenceSuite = ({ harness }: SuiteContext) => {
  it('a fresh adapter instance sees the run, its steps and its pending cleanups, and resumes it', async () => {
    const { storage, reopen, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('persist');
    const undone: unknown[] = [];
    const registry = { undo: (p: Record<string, unknown>) => void undone.push(p) };
    const cp = await processOn(storage, clock).load(registry, runId);
    await durable(storage)(cp)('one')({ x: 1 })(() => 'first');
    await beforeRisky(storage)(cp)('undo')({ file: 'f.txt' });
    await durable(storage)(cp)('two')({ x: 2 })(() => 'second');
    const row = await raw.readRun(runId);
    expect(row).toMatchObject({ status: 'running', cleanupNames: ['undo'] });
    const [one, two] = [await stepKeyOf('one', { x: 1 }), await stepKeyOf('two', { x: 2 })];
    expect([...(row?.stepKeys ?? [])].sort()).toEqual([one, two].sort());
    expect(JSON.parse(row?.outputs[one] ?? 'null')).toBe('first');
    clock.advance(LEASE_EXPIRY);
    const fresh = await reopen();
    const seen = await fresh.read(runId);
    expect(seen?.steps.map((s) => s.name).sort()).toEqual(['one', 'two']);
    expect(seen?.cleanups.map((c) => c.name)).toEqual(['undo']);
    const resumed = await processOn(fresh, clock).load(registry, runId);
    expect(resumed.cleanupsRun).toEqual(['undo']);
    expect(undone).toEqual([{ file: 'f.txt' }]);
    expect((await storage.read(runId))?.steps.map((s) => s.name)).toEqual(['one']);
  });
};
