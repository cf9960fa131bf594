import { describe, expect, it } from 'vitest';
import { afterSafe, beforeRisky, complete, durable, load, manualClock, memoryStorage } from '../src/index.ts';

describe('smoke', () => {
  it('memoizes, rolls back after a cleanup, and replays', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const calls: string[] = [];
    const registry = { undo: async (p: Record<string, unknown>) => void calls.push(`undo:${p.url}`) };
    const cp = await load(storage, { clock })(registry)('run-1');
    const step = durable(storage)(cp);
    const a = await step('a')({ x: 1 })(() => calls.push('a') && 1);
    await beforeRisky(storage)(cp)('undo')({ url: 'u' });
    const b = await step('b')({ a })(() => calls.push('b') && 2);
    expect([a, b]).toEqual([1, 2]);
    // crash: no afterSafe, lease expires
    clock.advance(45_000);
    const cp2 = await load(storage, { clock })(registry)('run-1');
    expect(cp2.cleanupsRun).toEqual(['undo']);
    const step2 = durable(storage)(cp2);
    await step2('a')({ x: 1 })(() => calls.push('a2') && 1);
    await step2('b')({ a: 1 })(() => calls.push('b2') && 2);
    await afterSafe(storage)(cp2)('undo');
    await complete(storage)(cp2);
    expect(calls).toEqual(['a', 'b', 'undo:u', 'b2']);
    const cp3 = await load(storage, { clock })(registry)('run-1');
    expect(cp3.status).toBe('completed');
    expect(await durable(storage)(cp3)('b')({ a: 1 })(() => 99)).toBe(2);
  });
});
