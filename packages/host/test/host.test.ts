import {
  complete,
  createMemoryData,
  durable,
  inspectRun,
  load,
  manualClock,
  memoryStorage,
  type Storage,
  signal,
} from '@td7x/durable-x';
import { describe, expect, it } from 'vitest';
import { createHost, isHostError, type RunOutcome, type WorkflowContext } from '../src/index.ts';

const T0 = Date.UTC(2026, 0, 1);

const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('the in-process host (memory storage)', () => {
  it('wakes a run waiting for a signal once the signal arrives, from any process', async () => {
    const storage = memoryStorage();
    const clock = manualClock(T0);
    const host = createHost({ storage, clock });
    host.register('approve', async ({ waitFor }: WorkflowContext) => {
      const answer = await waitFor('approval')<{ by: string }>();
      return answer.kind === 'signal' ? `approved by ${answer.payload.by}` : 'timed out';
    });
    expect(await host.start('approve', 'r1')).toMatchObject({
      status: 'suspended',
      reason: 'signal',
      resumeAt: null,
    });
    expect((await host.poll()).outcomes).toEqual([]);
    await signal(storage, { clock })('r1')('approval')({ by: 'ops' });
    expect((await host.poll()).outcomes).toEqual([
      { runId: 'r1', workflow: 'approve', status: 'completed', value: 'approved by ops', replay: false },
    ]);
  });

  it('fails a run whose workflow throws: its pending cleanups run and the error is recorded', async () => {
    const storage = memoryStorage();
    const undone: unknown[] = [];
    const host = createHost({ storage, cleanups: { undo: (params) => void undone.push(params) } });
    host.register('broken', async ({ step, beforeRisky }: WorkflowContext) => {
      await beforeRisky('undo')({ what: 'upload' });
      await step('upload')()(() => {
        throw new Error('disk full');
      });
    });
    const outcome = await host.start('broken', 'r2');
    expect(outcome).toMatchObject({ status: 'failed', runId: 'r2' });
    expect(undone).toEqual([{ what: 'upload' }]);
    const stored = await inspectRun(storage)('r2');
    expect(stored?.run.status).toBe('failed');
    expect(stored?.cleanups).toEqual([]);
  });

  it('records the workflow and input with the run: a duplicate start replays, another input is refused', async () => {
    const storage = memoryStorage();
    let runs = 0;
    const host = createHost({ storage });
    host.register('double', async ({ step, input }: WorkflowContext<number>) =>
      step('x')(input)(() => ++runs && input * 2),
    );
    expect(await host.start('double', 'r3', 21)).toMatchObject({
      status: 'completed',
      value: 42,
      replay: false,
    });
    expect(await host.start('double', 'r3', 21)).toMatchObject({
      status: 'completed',
      value: 42,
      replay: true,
    });
    expect(runs).toBe(1);
    await expect(host.start('double', 'r3', 22)).rejects.toSatisfy((e) => isHostError(e, 'WorkflowMismatch'));
    await expect(host.start('nope', 'r4')).rejects.toSatisfy((e) => isHostError(e, 'UnknownWorkflow'));
  });

  it('leaves alone the runs it did not start and the workflows it does not have, without claiming them', async () => {
    const data = createMemoryData();
    const storage = memoryStorage({ data });
    const clock = manualClock(T0);
    // A run of plain core code, abandoned, and a host run of a workflow this host lacks.
    const cp = await load(storage, { clock, leaseMs: 1000 })({})('plain');
    await durable(storage)(cp)('s')()(() => 1);
    const other = createHost({ storage, clock: manualClock(T0), leaseMs: 1000 });
    const started = deferred();
    other.register('elsewhere', async ({ step }: WorkflowContext) =>
      step('s')()(() => {
        started.resolve();
        return new Promise(() => {});
      }),
    );
    void other.start('elsewhere', 'theirs');
    await started.promise;
    const host = createHost({ storage, clock });
    clock.advance(5000);
    const first = await host.poll();
    expect(first.outcomes).toEqual([]);
    expect([...first.skipped].sort((a, b) => (a.runId < b.runId ? -1 : 1))).toEqual([
      { runId: 'plain', status: 'skipped', reason: 'not-a-host-run' },
      { runId: 'theirs', status: 'skipped', reason: 'unknown-workflow', workflow: 'elsewhere' },
    ]);
    expect((await inspectRun(storage)('plain'))?.run.attempt).toBe(1);
    // Unchanged since: not even read again.
    expect((await host.poll()).skipped).toEqual([]);
    await complete(storage)(cp).catch(() => undefined);
  });

  it('restarts a run recorded under another version and still knows its workflow', async () => {
    const storage = memoryStorage();
    const clock = manualClock(T0);
    const seen: string[] = [];
    const v = (version: string) => {
      const host = createHost({ storage, clock, wakeTimersWithinMs: 0 });
      host.register(
        'w',
        async ({ step, sleep, input }: WorkflowContext<string>) => {
          await step('a')()(() => seen.push(`a ${version} ${input}`));
          await sleep('nap')(1000);
          return version;
        },
        { version },
      );
      return host;
    };
    expect(await v('1').start('w', 'r5', 'in')).toMatchObject({ status: 'suspended' });
    clock.advance(1000);
    // The new code's host: the run restarts (its step runs again), input and workflow known.
    const { outcomes } = await v('2').poll();
    expect(outcomes).toEqual([
      { runId: 'r5', workflow: 'w', status: 'suspended', reason: 'sleep', name: 'nap', resumeAt: T0 + 2000 },
    ]);
    expect(seen).toEqual(['a 1 in', 'a 2 in']);
  });

  it('never runs more than `concurrency` runs at once; the rest wait for a slot', async () => {
    const storage = memoryStorage();
    const gate = deferred();
    const twoIn = deferred();
    let running = 0;
    let most = 0;
    const host = createHost({ storage, concurrency: 2 });
    host.register('slow', async ({ step }: WorkflowContext) =>
      step('s')()(async () => {
        most = Math.max(most, ++running);
        if (running === 2) twoIn.resolve();
        await gate.promise;
        running--;
      }),
    );
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => host.start('slow', id));
    await twoIn.promise;
    await new Promise((r) => setImmediate(r)); // let a third start, if the bound let it
    expect(host.running()).toHaveLength(2);
    gate.resolve();
    const outcomes = await Promise.all(all);
    expect(outcomes.map((o) => o.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    expect(most).toBe(2);
  });

  it('stops cleanly: no more polling or starting, running runs finish within the timeout, the rest are reported', async () => {
    const storage = memoryStorage();
    const slow = deferred();
    const host = createHost({ storage });
    host.register('quick', async ({ step }: WorkflowContext) => step('q')()(() => 'done'));
    const entered = deferred();
    host.register('stuck', async ({ step }: WorkflowContext) =>
      step('s')()(() => {
        entered.resolve();
        return slow.promise;
      }),
    );
    const stuck = host.start('stuck', 'stuck-1');
    await entered.promise;
    const report = await host.stop({ timeoutMs: 20 });
    expect(report).toEqual({ settled: 0, stillRunning: ['stuck-1'] });
    await expect(host.start('quick', 'q-1')).rejects.toSatisfy((e) => isHostError(e, 'HostStopped'));
    expect((await host.poll()).outcomes).toEqual([]);
    slow.resolve();
    expect(await stuck).toMatchObject({ status: 'completed' });
    expect(host.running()).toEqual([]);
  });

  it('polls by itself once listening, and a timer wakes a short sleep at its time', async () => {
    const storage = memoryStorage();
    const settled: RunOutcome[] = [];
    const done = deferred();
    const host = createHost({
      storage,
      pollIntervalMs: 60_000,
      onSettled: (outcome) => {
        settled.push(outcome);
        if (outcome.status === 'completed') done.resolve();
      },
    });
    host.register('nap', async ({ sleep }: WorkflowContext) => {
      await sleep('short')(30);
      return 'rested';
    });
    host.listen();
    await host.start('nap', 'n1');
    await done.promise;
    expect(settled.map((o) => o.status)).toEqual(['suspended', 'completed']);
    expect(await host.stop()).toEqual({ settled: 0, stillRunning: [] });
  });

  it('an async onSettled that rejects is reported to onError, not left to crash the process', async () => {
    const errors: unknown[] = [];
    const reported = deferred();
    const host = createHost({
      storage: memoryStorage(),
      clock: manualClock(T0),
      onSettled: async () => {
        throw new Error('listener failed');
      },
      onError: (error) => {
        errors.push(error);
        reported.resolve();
      },
    });
    host.register('quick', async () => 'done');
    expect(await host.start('quick', 'q1')).toMatchObject({ status: 'completed' });
    await reported.promise;
    expect(errors).toEqual([new Error('listener failed')]);
  });

  it('stop({ timeoutMs }) keeps its deadline while a poll is stuck in a list that never answers', async () => {
    const inner = memoryStorage();
    const listing = deferred();
    const storage: Storage = {
      ...inner,
      list: () => {
        listing.resolve();
        return new Promise(() => {}); // the storage never answers
      },
    };
    const host = createHost({ storage, pollIntervalMs: 60_000 });
    host.listen();
    await listing.promise;
    // Before, stop awaited the poll first: it never returned.
    expect(await host.stop({ timeoutMs: 50 })).toEqual({ settled: 0, stillRunning: [] });
  });

  it("under the 'compensate' policy, an orphan's cleanups run and it is marked compensated", async () => {
    const storage: Storage = memoryStorage();
    const undone: string[] = [];
    const cleanups = { undo: () => void undone.push('undo') };
    const dead = createHost({ storage, cleanups, clock: manualClock(T0), leaseMs: 1000 });
    const inStep = deferred();
    dead.register('w', async ({ step, beforeRisky }: WorkflowContext) => {
      await beforeRisky('undo')();
      await step('hang')()(() => {
        inStep.resolve();
        return new Promise(() => {});
      });
    });
    void dead.start('w', 'o1');
    await inStep.promise;
    const clock = manualClock(T0 + 1000);
    const host = createHost({ storage, cleanups, clock, orphans: 'compensate' });
    host.register('w', async () => 'never');
    expect((await host.poll()).outcomes).toEqual([{ runId: 'o1', workflow: '', status: 'compensated' }]);
    expect(undone).toEqual(['undo']);
    expect((await inspectRun(storage)('o1'))?.run.status).toBe('compensated');
  });
});
