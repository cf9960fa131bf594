import { beforeRisky, complete, durable, inspectRun } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import { expectErr, LEASE_EXPIRY, newClock, processOn, type SuiteContext, uniqueRunId } from '../context.ts';
import { countingStorage } from '../counting.ts';

/** Ids that break naive SQL, key, path or URL building. Each must be stored safely and distinctly. */
export const hostileRunIds = (tag: string): string[] => [
  `${tag}'; DROP TABLE runs; --`,
  `${tag}"quoted" \`back\``,
  `../../${tag}/etc/passwd`,
  `${tag}/a/b`,
  `${tag}/a%2Fb`,
  `${tag}/a%252Fb`,
  `${tag}\\windows\\path`,
  `${tag}\u0001\u001f\u007f\t\n\r`,
  `${tag} 🚀👩‍👩‍👧 emoji`,
  `${tag}{tag}:*?[]`,
  `${tag}%00 not a nul`,
  ` ${tag} spaces `,
  `${tag}`.padEnd(256, 'x'),
  `${tag}`.padEnd(200, 'é') + '🚀'.repeat(56),
];

/** Ids that must be refused with `InvalidRunId` before any storage call. */
export const invalidRunIds: readonly unknown[] = [
  '',
  'nul\u0000inside',
  'x'.repeat(257),
  '🚀'.repeat(257),
  'lone \ud800 surrogate',
  42,
  undefined,
];

/** semantics §1: any run id is stored safely and distinctly; bad ones fail before I/O. */
export const idSuite = ({ harness }: SuiteContext) => {
  it('stores hostile run ids safely and distinctly, and reads them back exactly', async () => {
    const { storage, reopen, raw } = harness();
    const clock = newClock();
    const tag = uniqueRunId('ids').replaceAll(':', '.');
    const ids = hostileRunIds(tag);
    expect(new Set(ids).size).toBe(ids.length);
    for (const runId of ids) expect([...runId].length).toBeLessThanOrEqual(256);
    for (const [i, runId] of ids.entries()) {
      const cp = await processOn(storage, clock).load({ undo: () => undefined }, runId);
      await beforeRisky(storage)(cp)('undo')({ runId });
      await durable(storage)(cp)('which')({ runId })(() => ({ i, runId }));
    }
    clock.advance(LEASE_EXPIRY);
    const fresh = await reopen();
    for (const [i, runId] of ids.entries()) {
      const stored = await inspectRun(fresh)(runId);
      expect(stored?.run.runId).toBe(runId);
      expect(stored?.steps).toHaveLength(1);
      expect(stored?.cleanups.map((c) => c.name)).toEqual(['undo']);
      expect((await raw.readRun(runId))?.stepKeys).toHaveLength(1);
      const cp = await processOn(fresh, clock).load({ undo: () => undefined }, runId);
      expect(cp.cleanupsRun).toEqual(['undo']);
      expect(await durable(fresh)(cp)('which')({ runId })(() => 'rolled back, runs again')).toBe(
        'rolled back, runs again',
      );
      await complete(fresh)(cp);
      expect(JSON.parse((await storage.read(runId))?.steps[0]?.output ?? 'null')).not.toEqual({ i, runId });
    }
  });

  it('keeps runs apart: a step of one hostile id is never seen by another', async () => {
    const { storage } = harness();
    const tag = uniqueRunId('apart').replaceAll(':', '.');
    const [a, b, c] = [`${tag}/a/b`, `${tag}/a%2Fb`, `${tag}/a%252Fb`];
    const outputs = new Map<string, string>();
    for (const runId of [a, b, c] as string[]) {
      const cp = await processOn(storage, newClock()).load({}, runId);
      outputs.set(runId, await durable(storage)(cp)('same-step')({})(() => `output of ${runId}`));
    }
    for (const runId of [a, b, c] as string[]) {
      const stored = await storage.read(runId);
      expect(stored?.steps).toHaveLength(1);
      expect(JSON.parse(stored?.steps[0]?.output ?? 'null')).toBe(`output of ${runId}`);
    }
  });

  it('refuses invalid run ids with InvalidRunId before any storage call', async () => {
    const counted = countingStorage(harness().storage);
    for (const runId of invalidRunIds) {
      await expectErr(R.load(counted, { clock: newClock() })({})(runId as string), 'InvalidRunId');
    }
    expect(counted.total()).toBe(0);
  });
};
