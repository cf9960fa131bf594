import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends/open.ts';
import { memoryBackend } from '../src/sim/backends.ts';
import { openSimTarget } from '../src/sim/open.ts';
import { DEFAULT_CONFIG, runSchedule } from '../src/sim/schedule.ts';
import { sweep } from '../src/sim/sweep.ts';

/**
 * The short, fixed-seed sweep of the deterministic simulation that CI runs (the long one is
 * `npm run sim`). A failure prints the seed and the shrunk schedule; replay it with
 * `npm run sim -- --seed <seed> --schedules 1`.
 */
const failureText = (report: Awaited<ReturnType<typeof sweep>>): string =>
  report.failure
    ? [
        `seed ${report.failure.seed}, shrunk to ${JSON.stringify(report.failure.config)}`,
        ...report.failure.result.violations,
        ...report.failure.result.trace,
      ].join('\n')
    : '';

describe('the deterministic simulation', () => {
  it('replays a schedule exactly from its seed', async () => {
    const a = await runSchedule(7, DEFAULT_CONFIG, memoryBackend(), { trace: true });
    const b = await runSchedule(7, DEFAULT_CONFIG, memoryBackend(), { trace: true });
    expect(a.trace.length).toBeGreaterThan(50);
    expect(b.trace).toEqual(a.trace);
  });

  it('finds no violation in 1500 schedules on the reference storage', { timeout: 240_000 }, async () => {
    const report = await sweep(20261129, 1500, memoryBackend);
    expect(failureText(report)).toBe('');
    // The actors did act: runs were cancelled, processes killed and stalled, replies lost.
    expect(report.stats).toMatchObject({
      cancel: expect.any(Number),
      kill: expect.any(Number),
      stall: expect.any(Number),
      'ended completed': expect.any(Number),
      'ended cancelled': expect.any(Number),
    });
    expect(report.schedules).toBe(1500);
  });
});

describe.each(BACKENDS)('the same programs on %s', (target) => {
  it('find no violation in a few schedules', { timeout: 300_000 }, async () => {
    const { backend, close } = await openSimTarget(target, `sim-ci-${target}`);
    try {
      const report = await sweep(20261129, target === 's3' || target === 'windmill' ? 15 : 40, backend);
      expect(failureText(report)).toBe('');
    } finally {
      await close();
    }
  });
});
