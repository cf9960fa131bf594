import { describe, expect, it } from 'vitest';
import * as V from '../src/index.ts';
import {
  afterSafe,
  beforeRisky,
  type Codec,
  cancel,
  complete,
  durable,
  fail,
  findAbandoned,
  findDue,
  listRuns,
  load,
  type ManualClock,
  manualClock,
  memoryStorage,
  purgeRuns,
  recoverAbandoned,
  type Storage,
  signal,
  sleep,
  waitFor,
} from '../src/result.ts';

/*
 * Where two actors meet on one run: a stale owner and its successor, sibling steps, a sleeping
 * run and housekeeping, a cancel and a running cleanup. Each test is one scenario found by a review
 * of the core, through the public API.
 */

const LEASE = 30_000;

const gate = () => {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
};

/** Lets pending promise callbacks run (the memory storage answers in microtasks). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

const loaded = async (storage: Storage, clock: ManualClock, registry: V.CleanupRegistry, runId: string) =>
  (await load(storage, { clock, leaseMs: LEASE })(registry)(runId))._unsafeUnwrap();

describe('a stale owner', () => {
  it('that calls fail() after a takeover runs no cleanup and changes nothing', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const cdn = new Set<string>();
    const ran: string[] = [];
    const registry = (who: string) => ({
      rollback_upload: (p: Record<string, unknown>) => {
        ran.push(who);
        cdn.delete(String(p.url));
      },
    });
    const workflow = async (cp: V.Checkpoint) => {
      await beforeRisky(storage)(cp)('rollback_upload')({ url: 'f1' });
      await durable(storage)(cp)('upload')({ url: 'f1' })(() => void cdn.add('f1'));
    };
    const a = await loaded(storage, clock, registry('a'), 'stale');
    await workflow(a);
    // a stalls past its lease; b takes over, undoes a's upload, uploads again and completes.
    clock.advance(LEASE * 2);
    const b = await loaded(storage, clock, registry('b'), 'stale');
    await workflow(b);
    await afterSafe(storage)(b)('rollback_upload');
    expect((await complete(storage)(b)).isOk()).toBe(true);
    expect(ran).toEqual(['b']);
    const before = await storage.read('stale');
    // a wakes up and fails its run: it must not undo b's upload.
    const failed = await fail(storage)(a)(new Error('timeout'));
    expect(failed._unsafeUnwrapErr()).toMatchObject({ type: 'LeaseLost' });
    expect(ran).toEqual(['b']);
    expect(cdn.has('f1')).toBe(true);
    expect(await storage.read('stale')).toEqual(before);
  });
});

describe('sibling steps of one run', () => {
  it('fail() waits for a running sibling step before its cleanups run', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const order: string[] = [];
    const cp = await loaded(storage, clock, { undo: () => void order.push('cleanup') }, 'siblings-fail');
    await beforeRisky(storage)(cp)('undo')({});
    const inside = gate();
    const finishing = gate();
    const sibling = durable(storage)(cp)('charge')({})(async () => {
      inside.open();
      await finishing.promise;
      order.push('charge landed');
      return 'charged';
    });
    await inside.promise;
    const failing = fail(storage)(cp)(new Error('other branch failed'));
    await settle();
    expect(order).toEqual([]);
    finishing.open();
    expect((await failing)._unsafeUnwrap().cleanupsRun).toEqual(['undo']);
    expect(order).toEqual(['charge landed', 'cleanup']);
    await sibling;
    // The cleanup undid the charge: its record is forgotten, so the next attempt charges again.
    const stored = await storage.read('siblings-fail');
    expect(stored?.steps.filter((s) => s.name === 'charge')).toEqual([]);
    expect(stored?.run.status).toBe('failed');
  });

  it('a step that spends its retries waits for its siblings before failing the run', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const order: string[] = [];
    const cp = await loaded(storage, clock, { undo: () => void order.push('cleanup') }, 'siblings-retries');
    await beforeRisky(storage)(cp)('undo')({});
    const inside = gate();
    const finishing = gate();
    const sibling = durable(storage)(cp)('slow')({})(async () => {
      inside.open();
      await finishing.promise;
      order.push('slow landed');
    });
    await inside.promise;
    const failing = durable(storage)(cp)('flaky', { retry: { attempts: 1 } })({})(() => {
      throw new Error('down');
    });
    await settle();
    expect(order).toEqual([]);
    finishing.open();
    expect((await failing)._unsafeUnwrapErr()).toMatchObject({ type: 'StepFailed', attempts: 1 });
    expect(order).toEqual(['slow landed', 'cleanup']);
    await sibling;
  });

  it('a failed step keeps the lease while a sibling runs, and releases it once nothing runs', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const cp = await loaded(storage, clock, {}, 'siblings-release');
    let runs = 0;
    const finishing = gate();
    const long = durable(storage)(cp)('long')({})(async () => {
      runs++;
      await finishing.promise;
    });
    const broken = await durable(storage)(cp)('broken')({})(() => {
      throw new Error('boom');
    });
    expect(broken._unsafeUnwrapErr()).toMatchObject({ type: 'StepFailed' });
    await settle();
    // The host retries at once: the sibling is still running, so the run is busy.
    expect((await storage.read('siblings-release'))?.run.leaseExpiresAt).toBeGreaterThan(clock.now());
    expect(
      (await load(storage, { clock, leaseMs: LEASE })({})('siblings-release'))._unsafeUnwrapErr(),
    ).toMatchObject({
      type: 'RunBusy',
    });
    finishing.open();
    await long;
    await settle();
    expect((await storage.read('siblings-release'))?.run.leaseExpiresAt).toBe(0);
    const retry = await loaded(storage, clock, {}, 'siblings-release');
    await durable(storage)(retry)('long')({})(() => void runs++);
    expect(runs).toBe(1);
  });
});

describe('two steps sharing a nested step', () => {
  // Steps a and b both call step x (same input: one execution). x's caller that did not start it
  // waits on the execution; a fail() (x spends its retries) or an undo (a cancel) waiting for the
  // run's bodies must count that caller as blocked, not wait for it: it hung for ever.
  const sharing = async (x: () => Promise<number>) => {
    const storage = memoryStorage();
    const cp = await loaded(storage, manualClock(), {}, 'sharing');
    const nested = () => durable(storage)(cp)('x', { retry: { attempts: 1 } })(1)(x);
    const a = durable(storage)(cp)('a')(1)(() => nested());
    const b = durable(storage)(cp)('b')(1)(() => nested());
    return { storage, cp, both: Promise.allSettled([a, b]) };
  };

  it('when the shared step spends its retries, the run fails and both callers are answered', async () => {
    const x = gate();
    const { storage, both } = await sharing(async () => {
      await x.promise;
      throw new Error('boom');
    });
    await settle();
    x.open();
    const answers = await both;
    expect(answers.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(answers.map((r) => (r.status === 'fulfilled' ? r.value.isErr() : false))).toEqual([true, true]);
    expect((await storage.read('sharing'))?.run.status).toBe('failed');
  });

  it('when the run is cancelled meanwhile, both callers are answered and the run ends cancelled', async () => {
    const x = gate();
    const { storage, both } = await sharing(async () => {
      await x.promise;
      return 1;
    });
    await settle();
    const cancelling = cancel(storage)('sharing');
    await settle();
    x.open();
    expect((await cancelling).isOk()).toBe(true);
    expect((await both).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect((await storage.read('sharing'))?.run.status).toBe('cancelled');
  });
});

describe('a sleeping run and housekeeping', () => {
  /**
   * A worker crashed holding `runId` with a cleanup pending; housekeeping lists the run as
   * abandoned and, between its list and its claim, another worker does `meanwhile` with it.
   */
  const recoverWhile = async (
    runId: string,
    meanwhile: (storage: Storage, worker: V.Checkpoint) => Promise<void>,
  ) => {
    const clock = manualClock();
    const inner = memoryStorage();
    const ran: string[] = [];
    const registry = { undo: () => void ran.push('undo') };
    const crashed = await loaded(inner, clock, registry, runId);
    await beforeRisky(inner)(crashed)('undo')({});
    clock.advance(LEASE * 2);
    let moved = false;
    const housekeeping: Storage = {
      ...inner,
      list: async (query) => {
        const page = await inner.list(query);
        if (!moved) {
          moved = true;
          await meanwhile(inner, await loaded(inner, clock, registry, runId));
        }
        return page;
      },
    };
    const report = (
      await recoverAbandoned(housekeeping, { clock, leaseMs: LEASE })(registry)()
    )._unsafeUnwrap();
    expect(report.recovered).toEqual([]);
    expect(report.failed).toEqual([{ runId, error: expect.objectContaining({ type: 'RunBusy' }) }]);
    expect(ran).toEqual(['undo']); // the worker's resume undid the crashed attempt, once
    return { inner, clock };
  };

  it('recoverAbandoned leaves alone a run resumed and suspended since it was listed', async () => {
    const { inner, clock } = await recoverWhile('sleeper', async (storage, worker) => {
      await beforeRisky(storage)(worker)('undo')({});
      const slept = await sleep(storage)(worker)('nap')(60_000);
      expect(slept._unsafeUnwrapErr()).toMatchObject({ type: 'Suspended' });
    });
    // Still parked with its cleanup pending, and due when its sleep ends.
    const stored = await inner.read('sleeper');
    expect(stored?.run).toMatchObject({ status: 'suspended' });
    expect(stored?.cleanups.map((c) => c.name)).toEqual(['undo']);
    clock.advance(60_000);
    expect((await findDue(inner, { clock })())._unsafeUnwrap().runs.map((r) => r.runId)).toEqual(['sleeper']);
  });

  it('recoverAbandoned leaves alone a run completed since it was listed, and runs none of its cleanups', async () => {
    // Found by the kill campaign: the claim answers a completed run with its records whatever
    // owner it expected, and recover tried to mark it compensated (RunCompleted, step "fail").
    const { inner } = await recoverWhile('finisher', async (storage, worker) => {
      await durable(storage)(worker)('work')({})(() => 1);
      (await complete(storage)(worker))._unsafeUnwrap();
    });
    expect((await inner.read('finisher'))?.run).toMatchObject({ status: 'completed', owner: null });
  });

  it('a cleanup registered before a sleep with params that differ on replay is adopted, not twinned', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const ran: string[] = [];
    const registry = { rollback_upload: () => void ran.push('rollback_upload') };
    // The quick start's shape, with the value API: every failure (and the suspension) throws.
    const workflow = async (cp: V.Checkpoint) => {
      const step = V.durable(storage)(cp);
      await V.beforeRisky(storage)(cp)('rollback_upload')({ at: new Date(clock.now()) });
      await step('upload')({})(() => 'uploaded');
      await V.sleep(storage)(cp)('settle')(1_000);
      await V.afterSafe(storage)(cp)('rollback_upload');
      await step('notify')({})(() => {
        throw new Error('mail server down');
      });
    };
    const first = await V.load(storage, { clock, leaseMs: LEASE })(registry)('adopt');
    expect(V.suspensionOf(await workflow(first).catch((e) => e))).toMatchObject({ name: 'settle' });
    clock.advance(1_000);
    const woken = await V.load(storage, { clock, leaseMs: LEASE })(registry)('adopt');
    await expect(workflow(woken)).rejects.toMatchObject({ type: 'StepFailed' });
    expect((await storage.read('adopt'))?.cleanups).toEqual([]);
    // The upload was declared safe: failing the run must not undo it.
    expect((await fail(storage)(woken)(new Error('give up')))._unsafeUnwrap().cleanupsRun).toEqual([]);
    expect(ran).toEqual([]);
  });
});

describe('a cancel meeting a running cleanup', () => {
  it('runs the cleanup once, refuses another loader, and answers the loader Cancelled', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    let running = 0;
    let runs = 0;
    let maxConcurrent = 0;
    const finishing = gate();
    const started = gate();
    const registry = {
      undo: async () => {
        running++;
        runs++;
        maxConcurrent = Math.max(maxConcurrent, running);
        started.open();
        await finishing.promise;
        running--;
      },
    };
    const crashed = await loaded(storage, clock, registry, 'cancel-cleanup');
    await beforeRisky(storage)(crashed)('undo')({});
    clock.advance(LEASE * 2);
    const loader = load(storage, { clock, leaseMs: LEASE })(registry)('cancel-cleanup');
    await started.promise;
    expect((await cancel(storage, { clock })('cancel-cleanup'))._unsafeUnwrap().status).toBe('cancelled');
    // Anyone else loading now is refused: the loader still holds the run and is undoing.
    expect(
      (await load(storage, { clock, leaseMs: LEASE })(registry)('cancel-cleanup'))._unsafeUnwrapErr(),
    ).toMatchObject({
      type: 'RunBusy',
    });
    finishing.open();
    expect((await loader)._unsafeUnwrapErr()).toMatchObject({ type: 'Cancelled', cleanupsRun: ['undo'] });
    expect([runs, maxConcurrent]).toEqual([1, 1]);
    expect((await storage.read('cancel-cleanup'))?.run).toMatchObject({ status: 'cancelled', owner: null });
  });
});

describe('a cancel meeting a fail', () => {
  it('a lease renewal during the last write does not wait for the undo that waits for it', async () => {
    const inner = memoryStorage();
    const clock = manualClock();
    const held = gate();
    let finishing!: () => void;
    const finishSent = new Promise<void>((resolve) => {
      finishing = resolve;
    });
    // The `fail`'s last write is held in flight while the run is cancelled and the keeper ticks.
    const storage: Storage = {
      ...inner,
      finish: async (request) => {
        if (request.status === 'failed') {
          finishing();
          await held.promise;
        }
        return inner.finish(request);
      },
    };
    // The cleanup fails during `fail`, so it is still pending when the run turns out cancelled.
    const ran: string[] = [];
    let failures = 1;
    const undo = () => {
      if (failures-- > 0) throw new Error('not now');
      ran.push('undo');
    };
    const cp = await loaded(storage, clock, { undo }, 'fail-cancel');
    await beforeRisky(storage)(cp)('undo')({});
    const failing = fail(storage)(cp)(new Error('give up'));
    await finishSent;
    await cancel(inner, { clock })('fail-cancel');
    clock.advance(LEASE / 3); // a renewal, sent while the run is being let go of
    held.open();
    const outcome = await Promise.race([
      failing,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 2_000)),
    ]);
    expect(outcome).not.toBe('hung');
    expect(ran).toEqual(['undo']);
    expect((await inner.read('fail-cancel'))?.run).toMatchObject({ status: 'cancelled', owner: null });
  });
});

describe('a write whose answer was lost', () => {
  it('an afterSafe applied but unanswered does not leave a cleanup that a cancellation would run', async () => {
    const inner = memoryStorage();
    const clock = manualClock();
    let lose = false;
    const storage: Storage = {
      ...inner,
      removeCleanup: async (request) => {
        const answer = await inner.removeCleanup(request);
        if (lose) throw new Error('ECONNRESET: the answer was lost');
        return answer;
      },
    };
    const ran: string[] = [];
    const cp = await loaded(
      storage,
      clock,
      { rollback_upload: () => void ran.push('rollback_upload') },
      'lost-safe',
    );
    await beforeRisky(storage)(cp)('rollback_upload')({});
    await durable(storage)(cp)('upload')({})(() => 'uploaded');
    lose = true;
    expect((await afterSafe(storage)(cp)('rollback_upload'))._unsafeUnwrapErr()).toMatchObject({
      type: 'StorageUnavailable',
    });
    expect((await inner.read('lost-safe'))?.cleanups).toEqual([]);
    await cancel(inner, { clock })('lost-safe');
    // The next write learns of the cancellation: the undo must not run the closed window's cleanup.
    expect((await durable(storage)(cp)('next')({})(() => 1))._unsafeUnwrapErr()).toMatchObject({
      type: 'Cancelled',
      cleanupsRun: [],
    });
    expect(ran).toEqual([]);
    expect((await inner.read('lost-safe'))?.steps.map((s) => s.name)).toContain('upload');
  });
});

describe('a window call that failed and is called again', () => {
  // A write that fails before it lands (StorageUnavailable), then the same call again: the window
  // it opens or closes is the same one, so the closed record a replay skips it by is stored.
  const flaky = (op: 'putCleanup' | 'removeCleanup') => {
    const inner = memoryStorage();
    let failNext = false;
    const storage: Storage = {
      ...inner,
      [op]: (request: never) => {
        if (!failNext) return inner[op](request);
        failNext = false;
        return Promise.reject(new Error('ECONNREFUSED'));
      },
    };
    const failOnce = () => {
      failNext = true;
    };
    return { storage, failOnce };
  };

  /** The run goes to sleep; woken, its replay passes the window; the process dies right there. */
  const sleptThenCrashedInReplayedWindow = async (
    storage: Storage,
    clock: ManualClock,
    cp: V.Checkpoint,
    ran: string[],
  ) => {
    const registry = { refund: () => void ran.push('refund') };
    expect((await sleep(storage)(cp)('nap')(1_000))._unsafeUnwrapErr()).toMatchObject({ type: 'Suspended' });
    clock.advance(1_000);
    const woken = await loaded(storage, clock, registry, 'flaky');
    await beforeRisky(storage)(woken)('refund')({}); // replayed: the window was closed before the sleep
    clock.advance(LEASE * 2); // the process dies here
    return loaded(storage, clock, registry, 'flaky');
  };

  it('afterSafe: the window is recorded closed, and a crash after the replay runs no cleanup', async () => {
    const { storage, failOnce } = flaky('removeCleanup');
    const clock = manualClock();
    const ran: string[] = [];
    const cp = await loaded(storage, clock, { refund: () => void ran.push('refund') }, 'flaky');
    await beforeRisky(storage)(cp)('refund')({});
    await durable(storage)(cp)('charge')(1)(() => 'charged');
    failOnce();
    expect((await afterSafe(storage)(cp)('refund')).isErr()).toBe(true);
    (await afterSafe(storage)(cp)('refund'))._unsafeUnwrap();
    const after = await sleptThenCrashedInReplayedWindow(storage, clock, cp, ran);
    expect(after.cleanupsRun).toEqual([]);
    expect(ran).toEqual([]);
  });

  it('beforeRisky: the retry opens the same window, so closing it is what a replay finds', async () => {
    const { storage, failOnce } = flaky('putCleanup');
    const clock = manualClock();
    const ran: string[] = [];
    const cp = await loaded(storage, clock, { refund: () => void ran.push('refund') }, 'flaky');
    failOnce();
    expect((await beforeRisky(storage)(cp)('refund')({})).isErr()).toBe(true);
    (await beforeRisky(storage)(cp)('refund')({}))._unsafeUnwrap();
    await durable(storage)(cp)('charge')(1)(() => 'charged');
    (await afterSafe(storage)(cp)('refund'))._unsafeUnwrap();
    const after = await sleptThenCrashedInReplayedWindow(storage, clock, cp, ran);
    expect(after.cleanupsRun).toEqual([]);
    expect(ran).toEqual([]);
  });
});

describe('a load that cannot go on', () => {
  it('a new version whose restart fails in a cleanup lets go of the run: the next load is not busy', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const registry = {
      unlock: () => {
        throw new Error('lock service down');
      },
    };
    const v1 = (
      await load(storage, { clock, leaseMs: LEASE, version: 'v1' })(registry)('versioned')
    )._unsafeUnwrap();
    await beforeRisky(storage)(v1)('unlock')({});
    expect((await sleep(storage)(v1)('nap')(1_000))._unsafeUnwrapErr()).toMatchObject({ type: 'Suspended' });
    clock.advance(1_000);
    const loadV2 = () => load(storage, { clock, leaseMs: LEASE, version: 'v2' })(registry)('versioned');
    expect((await loadV2())._unsafeUnwrapErr()).toMatchObject({ type: 'CleanupFailed' });
    expect((await storage.read('versioned'))?.run.leaseExpiresAt).toBeLessThanOrEqual(clock.now());
    expect((await loadV2())._unsafeUnwrapErr()).toMatchObject({ type: 'CleanupFailed' });
  });
});

describe('bad input is refused before any I/O', () => {
  it.each([
    ['an invalid Date', new Date(Number.NaN)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['{ until: NaN }', { until: Number.NaN }],
  ])('sleep with %s', async (_, duration) => {
    const storage = memoryStorage();
    const cp = await loaded(storage, manualClock(), {}, 'bad-sleep');
    const before = await storage.read('bad-sleep');
    const slept = await sleep(storage)(cp)('nap')(duration as number);
    expect(slept._unsafeUnwrapErr()).toMatchObject({ type: 'InvalidArgument' });
    expect(await storage.read('bad-sleep')).toEqual(before);
    // The run goes on, and loads again.
    expect((await durable(storage)(cp)('after')({})(() => 1))._unsafeUnwrap()).toBe(1);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1])('waitFor with timeout %s', async (timeout) => {
    const storage = memoryStorage();
    const cp = await loaded(storage, manualClock(), {}, 'bad-wait');
    const before = await storage.read('bad-wait');
    expect((await waitFor(storage)(cp)('go')({ timeout }))._unsafeUnwrapErr()).toMatchObject({
      type: 'InvalidArgument',
      argument: 'timeout',
    });
    expect(await storage.read('bad-wait')).toEqual(before);
  });

  it('retry.attempts 0 (or NaN) refuses the step without running it or failing the run', async () => {
    const storage = memoryStorage();
    const cp = await loaded(storage, manualClock(), {}, 'bad-retry');
    for (const attempts of [0, Number.NaN, 1.5]) {
      let ran = false;
      const step = await durable(storage)(cp)('s', { retry: { attempts } })({})(() => {
        ran = true;
      });
      expect(step._unsafeUnwrapErr()).toMatchObject({ type: 'InvalidArgument', argument: 'retry.attempts' });
      expect(ran).toBe(false);
    }
    expect((await storage.read('bad-retry'))?.run.status).toBe('running');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 0, -5])('leaseMs %s', async (leaseMs) => {
    const storage = memoryStorage();
    const loadedRun = await load(storage, { leaseMs })({})('bad-lease');
    expect(loadedRun._unsafeUnwrapErr()).toMatchObject({ type: 'InvalidArgument', argument: 'leaseMs' });
    expect(await storage.read('bad-lease')).toBeUndefined();
  });

  it('purgeRuns with a zero batch, or a NaN cutoff, answers at once', async () => {
    const storage = memoryStorage();
    expect((await purgeRuns(storage)({ olderThanMs: 0, batch: 0 }))._unsafeUnwrapErr()).toMatchObject({
      type: 'InvalidArgument',
      argument: 'batch',
    });
    expect((await purgeRuns(storage)({ before: Number.NaN }))._unsafeUnwrapErr()).toMatchObject({
      type: 'InvalidArgument',
      argument: 'before',
    });
  });

  it('a RunBusy or Suspended message never throws, whatever the instant', () => {
    for (const at of [Number.POSITIVE_INFINITY, Number.NaN, 8.64e15 + 1]) {
      expect(new V.DurableXError({ type: 'RunBusy', runId: 'r', leaseExpiresAt: at }).message).toContain(
        'busy',
      );
      expect(
        new V.DurableXError({ type: 'Suspended', runId: 'r', reason: 'sleep', name: 'n', resumeAt: at })
          .message,
      ).toContain('suspended');
    }
  });
});

describe('the Result API never throws', () => {
  it('a shouldRetry that throws counts as no: the step fails the run, as data', async () => {
    const storage = memoryStorage();
    const cp = await loaded(storage, manualClock(), {}, 'retry-throws');
    const step = durable(storage)(cp)('s', {
      retry: {
        attempts: 3,
        shouldRetry: () => {
          throw new Error('bug in shouldRetry');
        },
      },
    })({})(() => {
      throw new Error('down');
    });
    expect((await step)._unsafeUnwrapErr()).toMatchObject({ type: 'StepFailed', attempts: 1 });
    expect((await storage.read('retry-throws'))?.run.status).toBe('failed');
  });

  it.each(['not json', '[]', '[1]', '{"a":1}', '["x","y"]', '[NaN,"r"]'])(
    'a malformed cursor %j',
    async (cursor) => {
      const storage = memoryStorage();
      const clock = manualClock();
      for (const page of [
        listRuns(storage)({ cursor }),
        findDue(storage, { clock })({ cursor }),
        findAbandoned(storage, { clock })({ cursor }),
      ]) {
        expect((await page)._unsafeUnwrapErr()).toMatchObject({
          type: 'InvalidArgument',
          argument: 'cursor',
        });
      }
    },
  );

  it('null where an options or query object goes is a typed error, not a TypeError', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const cp = await loaded(storage, clock, {}, 'nulls');
    const nothing = null as never;
    const answers = [
      load(storage, nothing)({})('nulls-2'),
      waitFor(storage)(cp)('approval')(nothing),
      listRuns(storage)(nothing),
      purgeRuns(storage, { clock })(nothing),
      findDue(storage, { clock })(nothing),
      findAbandoned(storage, { clock })(nothing),
      recoverAbandoned(storage, { clock })({})(nothing),
    ];
    for (const answer of answers)
      expect((await answer)._unsafeUnwrapErr()).toMatchObject({ type: 'InvalidArgument' });
    expect(await storage.read('nulls-2')).toBeUndefined();
  });

  it('a value that is not a checkpoint is a typed error, not a TypeError', async () => {
    const storage = memoryStorage();
    const notACheckpoint = { runId: 'x' } as unknown as V.Checkpoint;
    expect((await durable(storage)(notACheckpoint)('s')({})(() => 1))._unsafeUnwrapErr()).toMatchObject({
      type: 'InvalidArgument',
      argument: 'checkpoint',
    });
  });
});

describe('signals', () => {
  const plainJson: Codec = { encode: (v) => JSON.stringify(v), decode: (t) => JSON.parse(t) };

  it('with a plain JSON codec, a signal without payload is received (as undefined)', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const cp = (await load(storage, { clock, codec: plainJson })({})('plain'))._unsafeUnwrap();
    expect((await waitFor(storage)(cp)('go')())._unsafeUnwrapErr()).toMatchObject({ type: 'Suspended' });
    expect(
      (await signal(storage, { codec: plainJson, clock })('plain')('go')())._unsafeUnwrap().accepted,
    ).toBe(true);
    const woken = (await load(storage, { clock, codec: plainJson })({})('plain'))._unsafeUnwrap();
    expect((await waitFor(storage)(woken)('go')())._unsafeUnwrap()).toEqual({
      kind: 'signal',
      payload: undefined,
    });
  });

  it('a signal whose request arrived twice is reported accepted to its sender', async () => {
    const inner = memoryStorage();
    const resending: Storage = {
      ...inner,
      // The driver resends after a lost reply: the first arrival was stored, the sender sees the second.
      putSignal: async (request) => {
        await inner.putSignal(request);
        return inner.putSignal(request);
      },
    };
    await loaded(inner, manualClock(), {}, 'resent');
    const report = (await signal(resending)('resent')('go')({ ok: 1 }))._unsafeUnwrap();
    expect(report.accepted).toBe(true);
    expect((await signal(resending)('resent')('go')({ ok: 2 }))._unsafeUnwrap().accepted).toBe(false);
  });

  it('a run holds at most the storage limit of signals, then TooManySignals', async () => {
    const storage = { ...memoryStorage(), signalLimits: { perRun: 2 } };
    await loaded(storage, manualClock(), {}, 'flood');
    for (const name of ['a', 'b']) expect((await signal(storage)('flood')(name)(1)).isOk()).toBe(true);
    expect((await signal(storage)('flood')('c')(1))._unsafeUnwrapErr()).toMatchObject({
      type: 'TooManySignals',
      limit: 2,
    });
    const big = 'x'.repeat(V.SIGNAL_LIMITS.bytes);
    expect((await signal(storage)('flood')('a')(big))._unsafeUnwrapErr()).toMatchObject({
      type: 'PayloadTooLarge',
    });
  });
});

describe('what a process is told after it let go of the run', () => {
  it('after its own fail(): RunEnded, not a takeover', async () => {
    const storage = memoryStorage();
    const cp = await loaded(storage, manualClock(), {}, 'ended');
    await fail(storage)(cp)(new Error('x'));
    expect(cp.status).toBe('failed');
    expect((await durable(storage)(cp)('s')({})(() => 1))._unsafeUnwrapErr()).toMatchObject({
      type: 'RunEnded',
      status: 'failed',
    });
    expect((await complete(storage)(cp))._unsafeUnwrapErr()).toMatchObject({ type: 'RunEnded' });
  });

  it('a step whose function calls itself is refused instead of waiting forever', async () => {
    const storage = memoryStorage();
    const cp = await loaded(storage, manualClock(), {}, 'self');
    const step = durable(storage)(cp);
    const outer = await step('recurse')({ n: 1 })(async () => {
      await Promise.resolve();
      const inner = await step('recurse')({ n: 1 })(() => 'inner');
      return inner.isErr() ? inner.error.type : 'ran';
    });
    expect(outer._unsafeUnwrap()).toBe('InvalidArgument');
  });
});
