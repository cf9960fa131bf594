import { err, ok, type ResultAsync } from 'neverthrow';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as V from '../src/index.ts';
import * as R from '../src/result.ts';
import {
  type DurableEvent,
  durable,
  load,
  manualClock,
  memoryStorage,
  type StepError,
  type Storage,
} from '../src/result.ts';

const counting = (inner: Storage) => {
  const calls: string[] = [];
  const storage = new Proxy(inner, {
    get: (target, prop) => {
      const value = Reflect.get(target, prop);
      return typeof value === 'function'
        ? (...args: unknown[]) => {
            calls.push(String(prop));
            return value.apply(target, args);
          }
        : value;
    },
  });
  return { storage, calls };
};

/** A storage that fails every call while `down`, the way a dead server does. */
const flaky = (inner: Storage, how: 'reject' | 'throw') => {
  const state = { down: false };
  const storage = new Proxy(inner, {
    get: (target, prop) => {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (!state.down) return value.apply(target, args);
        const cause = new Error('ECONNREFUSED 127.0.0.1:5432');
        if (how === 'throw') throw cause;
        return Promise.reject(cause);
      };
    },
  });
  return { storage, state };
};

describe('storage failures', () => {
  it.each(['reject', 'throw'] as const)(
    'a storage that %ss becomes a typed StorageUnavailable',
    async (how) => {
      const inner = memoryStorage();
      const { storage, state } = flaky(inner, how);
      state.down = true;
      const loaded = await load(storage)({})('r');
      expect(loaded._unsafeUnwrapErr()).toMatchObject({
        type: 'StorageUnavailable',
        storage: 'memory',
        op: 'claim',
      });
      state.down = false;
      const cp = (await load(storage, { clock: manualClock() })({})('r'))._unsafeUnwrap();
      state.down = true;
      const step = await durable(storage)(cp)('s')({})(() => 1);
      expect(step._unsafeUnwrapErr()).toMatchObject({ type: 'StorageUnavailable', op: 'putStep' });
      expect((await inner.read('r'))?.steps).toEqual([]);
      // The outage is over: the same checkpoint goes on, nothing was corrupted.
      state.down = false;
      expect((await durable(storage)(cp)('s')({})(() => 1))._unsafeUnwrap()).toBe(1);
    },
  );

  it('refuses a storage other than the one the run was loaded from, before any I/O', async () => {
    const storage = memoryStorage();
    const other = memoryStorage();
    const cp = (await load(storage, { clock: manualClock() })({})('own'))._unsafeUnwrap();
    let ran = false;
    const step = await durable(other)(cp)('s')({})(() => {
      ran = true;
    });
    expect(step._unsafeUnwrapErr()).toMatchObject({ type: 'InvalidArgument', argument: 'storage' });
    expect(ran).toBe(false);
    expect(await other.read('own')).toBeUndefined();
  });
});

describe('lease renewal', () => {
  it('renews every third of the lease while a step runs, and stops when the run goes idle', async () => {
    const clock = manualClock();
    const { storage, calls } = counting(memoryStorage());
    const cp = (await load(storage, { clock, leaseMs: 30_000 })({})('lease'))._unsafeUnwrap();
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const step = durable(storage)(cp)('long')({})(
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('done');
          started();
        }),
    );
    await running;
    for (let i = 0; i < 6; i++) clock.advance(10_000);
    // Lease writes land one after the other: let them.
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(calls.filter((c) => c === 'setLease')).toHaveLength(6);
    release();
    await step;
    const afterStep = calls.length;
    for (let i = 0; i < 10; i++) clock.advance(10_000);
    // One renewal for the activity just before the tick, then the keeper stops for good.
    expect(calls.slice(afterStep)).toEqual(['setLease']);
  });
});

describe('a failed step', () => {
  it('releases the lease and the keeper does not renew it, so a retry claims at once', async () => {
    const clock = manualClock();
    const { storage, calls } = counting(memoryStorage());
    const cp = (await load(storage, { clock })({})('released'))._unsafeUnwrap();
    await durable(storage)(cp)('ok')({})(() => 1);
    const failed = await durable(storage)(cp)('boom')({})(() => {
      throw new Error('boom');
    });
    expect(failed._unsafeUnwrapErr().type).toBe('StepFailed');
    const renewalsBefore = calls.filter((c) => c === 'setLease').length;
    clock.advance(10_000); // one keeper tick, well inside the lease
    expect(calls.filter((c) => c === 'setLease')).toHaveLength(renewalsBefore);
    const retry = await load(storage, { clock })({})('released');
    expect(retry._unsafeUnwrap().attempt).toBe(2);
  });
});

describe('events', () => {
  it('reports what ran, what was skipped and which cleanup ran', async () => {
    const clock = manualClock();
    const storage = memoryStorage();
    const events: DurableEvent['type'][] = [];
    const options = { clock, onEvent: (e: DurableEvent) => events.push(e.type) };
    const registry = { undo: () => undefined };
    const cp = (await load(storage, options)(registry)('ev'))._unsafeUnwrap();
    await durable(storage)(cp)('a')({})(() => 1);
    await R.beforeRisky(storage)(cp)('undo')({});
    clock.advance(100_000);
    const cp2 = (await load(storage, options)(registry)('ev'))._unsafeUnwrap();
    await durable(storage)(cp2)('a')({})(() => 1);
    await R.complete(storage)(cp2);
    expect(events).toEqual([
      'run.loaded',
      'step.started',
      'step.ran',
      'cleanup.registered',
      'run.loaded',
      'cleanup.started',
      'cleanup.ran',
      'step.skipped',
      'run.completed',
    ]);
  });

  it('step events carry the memo key, the attempt and the stored output size', async () => {
    const clock = manualClock();
    const storage = memoryStorage();
    const seen: DurableEvent[] = [];
    const options = { clock, onEvent: (e: DurableEvent) => seen.push(e) };
    const cp = (await load(storage, options)({})('sizes'))._unsafeUnwrap();
    await durable(storage)(cp)('greet')({ to: 'ü' })(() => 'héllo');
    const again = (await load(storage, { ...options, leaseMs: 30_000 })({})('sizes'))._unsafeUnwrapErr();
    expect(again.type).toBe('RunBusy');
    await R.complete(storage)(cp);
    const replay = (await load(storage, options)({})('sizes'))._unsafeUnwrap();
    await durable(storage)(replay)('greet')({ to: 'ü' })(() => 'never');
    const key = (await storage.read('sizes'))?.steps[0]?.key;
    const bytes = new TextEncoder().encode((await storage.read('sizes'))?.steps[0]?.output ?? '').length;
    expect(seen.filter((e) => e.type.startsWith('step.'))).toEqual([
      { type: 'step.started', runId: 'sizes', name: 'greet', key, attempt: 1 },
      { type: 'step.ran', runId: 'sizes', name: 'greet', key, attempt: 1, ms: 0, bytes },
      { type: 'step.skipped', runId: 'sizes', name: 'greet', key, bytes },
    ]);
    expect(bytes).toBeGreaterThan('"héllo"'.length); // é is two bytes
  });

  it('ignores a listener that throws', async () => {
    const storage = memoryStorage();
    const cp = await V.load(storage, {
      onEvent: () => {
        throw new Error('bad listener');
      },
    })({})('ev2');
    expect(await V.durable(storage)(cp)('a')({})(() => 5)).toBe(5);
  });
});

describe('large runs', () => {
  it('loads a run with 200 000 memoized steps', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const cp = (await load(storage, { clock })({})('huge'))._unsafeUnwrap();
    const owner = (await storage.read('huge'))?.run.owner as string;
    for (let seq = 1; seq <= 200_000; seq++) {
      await storage.putStep({
        runId: 'huge',
        owner,
        record: { key: `k${seq}`, name: 'k', seq, output: '1', at: 0 },
      });
    }
    await R.complete(storage)(cp);
    const again = await load(storage, { clock })({})('huge');
    expect(again._unsafeUnwrap().status).toBe('completed');
  });
});

describe('names', () => {
  it('accepts 256 code points (emoji count as one) and refuses 257', async () => {
    const storage = memoryStorage();
    expect((await load(storage)({})('🚀'.repeat(256))).isOk()).toBe(true);
    expect((await load(storage)({})('🚀'.repeat(257)))._unsafeUnwrapErr().type).toBe('InvalidRunId');
    const cp = (await load(storage)({})('names'))._unsafeUnwrap();
    const bad = await durable(storage)(cp)('x'.repeat(257))({})(() => 1);
    expect(bad._unsafeUnwrapErr()).toMatchObject({ type: 'InvalidName', kind: 'step' });
  });
});

/**
 * Step values are inferred from plain, async and Result-returning functions. A type test: the
 * typecheck task (tsc) compiles it and fails on a wrong inferred type; it is never called (a
 * runtime test around it could not fail).
 */
export const typeChecks = (cp: V.Checkpoint) => {
  {
    const step = V.durable(memoryStorage())(cp)('s')({});
    expectTypeOf(step(() => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(step(async () => 'x')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(step(() => ok({ a: 1 }))).toEqualTypeOf<Promise<{ a: number }>>();
    const rstep = R.durable(memoryStorage())(cp)('s')({});
    expectTypeOf(rstep(() => (Math.random() ? ok(1) : err('e')))).toEqualTypeOf<
      ResultAsync<number, StepError>
    >();
    expectTypeOf(V.load(memoryStorage())({})('r')).toEqualTypeOf<Promise<V.Checkpoint>>();
  }
};
