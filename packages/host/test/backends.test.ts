import { manualClock } from '@td7x/durable-x';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHost, type RunOutcome, type WorkflowContext } from '../src/index.ts';
import { BACKENDS, type Backend, openBackend } from './support/backends.ts';

const T0 = Date.UTC(2026, 0, 1);

describe.each(BACKENDS)('the host on %s', (name) => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await openBackend(name);
  });
  afterEach(async () => {
    await backend.close();
  });

  it('resumes a sleeping run once its sleep is over, each step run once', async () => {
    const clock = manualClock(T0);
    const effects: string[] = [];
    const host = createHost({ storage: backend.storage, clock, wakeTimersWithinMs: 0 });
    host.register('nap', async ({ step, sleep, input }: WorkflowContext<{ n: number }>) => {
      const a = await step('a')(input)(() => {
        effects.push('a');
        return input.n + 1;
      });
      await sleep('nap')(60_000);
      return step('b')(a)(() => {
        effects.push('b');
        return a * 10;
      });
    });

    const first = await host.start('nap', 'sleeper', { n: 1 });
    expect(first).toEqual({
      runId: 'sleeper',
      workflow: 'nap',
      status: 'suspended',
      reason: 'sleep',
      name: 'nap',
      resumeAt: T0 + 60_000,
    });
    clock.advance(59_999);
    expect(await host.poll()).toEqual({ outcomes: [], skipped: [] });

    clock.advance(1);
    const { outcomes } = await host.poll();
    expect(outcomes).toEqual([
      { runId: 'sleeper', workflow: 'nap', status: 'completed', value: 20, replay: false },
    ]);
    expect(effects).toEqual(['a', 'b']);
    await host.stop();
  });

  it('resumes a run whose process died mid-step: its pending cleanup runs, then it goes on from its memoized steps', async () => {
    const effects: string[] = [];
    const cleanups = { refund: () => void effects.push('refund') };
    let entered!: () => void;
    const inCharge = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const pay =
      (label: string, charge: () => Promise<void>) =>
      async ({ step, beforeRisky, afterSafe }: WorkflowContext) => {
        await step('reserve')()(() => void effects.push(`reserve by ${label}`));
        await beforeRisky('refund')({ amount: 5 });
        await step('charge')()(async () => {
          effects.push(`charge by ${label}`);
          await charge();
        });
        await afterSafe('refund');
        return label;
      };

    // Process A: its clock never moves again, as a dead process's timers never fire.
    const dead = createHost({ storage: backend.storage, cleanups, clock: manualClock(T0), leaseMs: 10_000 });
    dead.register(
      'pay',
      pay('A', async () => {
        entered();
        await blocked;
      }),
    );
    const lostRun = dead.start('pay', 'orphan');
    await inCharge;

    // Process B, another client on the same backend, after A's lease ran out.
    const clock = manualClock(T0);
    const host = createHost({ storage: await backend.reopen(), cleanups, clock, leaseMs: 10_000 });
    host.register(
      'pay',
      pay('B', async () => {}),
    );
    clock.advance(9_999);
    expect((await host.poll()).outcomes).toEqual([]);
    clock.advance(1);
    const { outcomes } = await host.poll();
    expect(outcomes).toEqual([
      { runId: 'orphan', workflow: 'pay', status: 'completed', value: 'B', replay: false },
    ]);
    expect(effects).toEqual(['reserve by A', 'charge by A', 'refund', 'charge by B']);

    // A comes back from its stall: its late record is refused, and it stops.
    unblock();
    expect(await lostRun).toEqual<RunOutcome>({ runId: 'orphan', workflow: 'pay', status: 'lost' });
    expect(effects).toEqual(['reserve by A', 'charge by A', 'refund', 'charge by B']);
    await host.stop();
    await dead.stop({ timeoutMs: 0 });
  });
});
