import { complete, durable } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import {
  LEASE_EXPIRY,
  NO_CLEANUPS,
  newClock,
  processOn,
  type SuiteContext,
  uniqueRunId,
} from '../context.ts';
import { countingStorage } from '../counting.ts';

/** semantics §3.1 and §4.3: load costs the same whatever the number of steps; a step costs one write. */
export const costSuite = ({ harness }: SuiteContext) => {
  const runWithSteps = async (steps: number, finish: boolean) => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId(`cost-${steps}`);
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    const step = durable(storage)(cp);
    for (let i = 0; i < steps; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, steps - i) }, (_, j) =>
          step(`s${i + j}`)({ i: i + j })(() => i + j),
        ),
      );
    }
    if (finish) await complete(storage)(cp);
    clock.advance(LEASE_EXPIRY);
    return { runId, clock };
  };

  const loadCost = async (runId: string, clock: ReturnType<typeof newClock>) => {
    const h = harness();
    const counted = countingStorage(h.storage);
    const tripsBefore = h.roundTrips?.();
    const cp = await processOn(counted, clock).load(NO_CLEANUPS, runId);
    return {
      cp,
      calls: counted.total(),
      trips: tripsBefore === undefined ? undefined : h.roundTrips!() - tripsBefore,
    };
  };

  it('loads a run in one storage call, with the same backend round trips for 10 or 200 steps', async () => {
    // Compared status by status: replaying a completed run may cost less than a takeover.
    const runs = [
      await runWithSteps(10, false),
      await runWithSteps(200, false),
      await runWithSteps(10, true),
      await runWithSteps(200, true),
    ];
    const costs = [];
    for (const run of runs) costs.push(await loadCost(run.runId, run.clock));
    expect(costs.map((c) => c.calls)).toEqual([1, 1, 1, 1]);
    expect(costs.map((c) => c.cp.status)).toEqual(['running', 'running', 'completed', 'completed']);
    if (costs[0]?.trips !== undefined) {
      expect(costs[1]?.trips).toBe(costs[0].trips);
      expect(costs[3]?.trips).toBe(costs[2]?.trips);
    }
  });

  it('records a step with one storage call and at most one backend round trip', async () => {
    const h = harness();
    const counted = countingStorage(h.storage);
    const cp = await processOn(counted, newClock()).load(NO_CLEANUPS, uniqueRunId('step-cost'));
    const step = durable(counted)(cp);
    await step('warm-up')({})(() => 0);
    const calls = counted.total();
    const trips = h.roundTrips?.();
    for (let i = 0; i < 20; i++) await step(`s${i}`)({ i })(() => i);
    expect(counted.total() - calls).toBe(20);
    expect(counted.calls.putStep).toBe(21);
    if (trips !== undefined) expect(h.roundTrips!() - trips).toBeLessThanOrEqual(20);
  });
};
