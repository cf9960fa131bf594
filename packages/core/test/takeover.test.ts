/// <reference types="node" />
// Right after a crash: a live lease held by a dead owner is taken over at once when a liveness
// check proves the owner dead; otherwise RunBusy, or a bounded wait for the lease.
import { describe, expect, it } from 'vitest';
import {
  beforeRisky,
  type DurableEvent,
  durable,
  executorLiveness,
  type Liveness,
  type LivenessCheck,
  load,
  manualClock,
  memoryStorage,
  ownerIdentity,
  parseOwner,
  type Storage,
  systemClock,
} from '../src/result.ts';

const LEASE = 30_000;

/** Counts claims, the one operation the busy path adds. */
const counting = (inner: Storage) => {
  const claims: { ifOwner?: string }[] = [];
  const leases: number[] = [];
  const storage: Storage = {
    ...inner,
    name: inner.name,
    claim: (request) => {
      claims.push(request.ifOwner === undefined ? {} : { ifOwner: request.ifOwner });
      if (request.ifLeaseExpiresAt !== undefined) leases.push(request.ifLeaseExpiresAt);
      return inner.claim(request);
    },
  };
  return { storage, claims, leases };
};

/** A check that answers `answer` for owners whose identity is `target`, and records what it was asked. */
const checkFor = (target: string, answer: Liveness) => {
  const asked: string[] = [];
  const liveness: LivenessCheck = {
    check: (owner) => {
      asked.push(owner);
      return parseOwner(owner)?.identity === target ? answer : 'unknown';
    },
  };
  return { liveness, asked };
};

/**
 * Process A: loads the run, records a step and registers a cleanup, then "dies" holding a live
 * lease. Its own clock never moves, so it never renews: what a killed process does.
 */
const crashedOwner = async (storage: Storage, clock: ReturnType<typeof manualClock>, runId: string) => {
  const undone: string[] = [];
  const registry = { undo: async (p: unknown) => void undone.push(String((p as { id: string }).id)) };
  const frozen = manualClock(clock.now());
  const cp = (
    await load(storage, { clock: frozen, leaseMs: LEASE, ownerPrefix: 'dead-A' })(registry)(runId)
  )._unsafeUnwrap();
  (await durable(storage)(cp)('first')(1)(() => 'one'))._unsafeUnwrap();
  (await beforeRisky(storage)(cp)('undo')({ id: 'u1' }))._unsafeUnwrap();
  return { cp, registry, undone };
};

describe('owner tokens', () => {
  it('carry an identity that parses back exactly, whatever its fields hold', () => {
    const identity = ownerIdentity('host', 'a:b', '100%', '', 'ü');
    const token = `${identity}:${crypto.randomUUID()}`;
    expect(parseOwner(token)).toEqual({ identity, kind: 'host', fields: ['a:b', '100%', '', 'ü'] });
    expect(parseOwner('dx:not-a-uuid')).toBeUndefined();
    expect(parseOwner(`%E0%A4%A:${crypto.randomUUID()}`)).toBeUndefined();
    expect(parseOwner(`dx:${crypto.randomUUID()}`)).toMatchObject({ identity: 'dx', kind: 'dx', fields: [] });
  });

  it("name the liveness check's identity, the ownerPrefix, the storage's, or dx", async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const ownerOf = async (runId: string) =>
      parseOwner((await storage.read(runId))?.run.owner ?? '')?.identity;
    await load(storage, { clock, liveness: { identity: ownerIdentity('t', 'me'), check: () => 'unknown' } })(
      {},
    )('a');
    await load(storage, { clock, ownerPrefix: 'readable' })({})('b');
    await load(storage, { clock })({})('c');
    expect([await ownerOf('a'), await ownerOf('b'), await ownerOf('c')]).toEqual(['t:me', 'readable', 'dx']);
  });
});

describe('a live lease held by a dead owner', () => {
  it('is taken over at once: one extra claim, only from that owner, cleanups run, the dead owner fenced', async () => {
    const inner = memoryStorage();
    const clock = manualClock();
    const { cp: dead, registry, undone } = await crashedOwner(inner, clock, 'r');
    const { storage, claims, leases } = counting(inner);
    const { liveness, asked } = checkFor('dead-A', 'dead');
    const events: DurableEvent[] = [];
    const seen = (await inner.read('r'))?.run.leaseExpiresAt;
    const cp = (
      await load(storage, { clock, leaseMs: LEASE, liveness, onEvent: (e) => events.push(e) })(registry)('r')
    )._unsafeUnwrap();
    const head = (await inner.read('r'))?.run;
    expect(cp).toMatchObject({ attempt: 2, cleanupsRun: ['undo'] });
    expect(undone).toEqual(['u1']);
    expect(claims).toEqual([{}, { ifOwner: asked[0] }]);
    expect(leases).toEqual([seen]);
    expect(parseOwner(asked[0] ?? '')?.identity).toBe('dead-A');
    expect(events.find((e) => e.type === 'owner.checked')).toEqual({
      type: 'owner.checked',
      runId: 'r',
      owner: asked[0],
      answer: 'dead',
    });
    expect(head?.owner).not.toBe(asked[0]);
    // The memo survives the takeover; the dead owner can no longer write.
    expect((await durable(storage)(cp)('first')(1)(() => 'again'))._unsafeUnwrap()).toBe('one');
    expect((await durable(inner)(dead)('late')(1)(() => 'x'))._unsafeUnwrapErr()).toMatchObject({
      type: 'LeaseLost',
    });
  });

  it.each(['alive', 'unknown'] as const)(
    'is left alone when the check answers %s: RunBusy, nothing changed',
    async (answer) => {
      const inner = memoryStorage();
      const clock = manualClock();
      await crashedOwner(inner, clock, 'r');
      const before = await inner.read('r');
      const { storage, claims } = counting(inner);
      const { liveness } = checkFor('dead-A', answer);
      const busy = (
        await load(storage, { clock, liveness })({ undo: async () => {} })('r')
      )._unsafeUnwrapErr();
      expect(busy).toEqual({ type: 'RunBusy', runId: 'r', leaseExpiresAt: before?.run.leaseExpiresAt });
      expect(claims).toEqual([{}]);
      expect(await inner.read('r')).toEqual(before);
    },
  );

  it('is not asked about when the lease is free: a plain claim, no check', async () => {
    const inner = memoryStorage();
    const clock = manualClock();
    await crashedOwner(inner, clock, 'r');
    clock.advance(LEASE);
    const { liveness, asked } = checkFor('dead-A', 'dead');
    const { storage, claims } = counting(inner);
    (await load(storage, { clock, liveness })({ undo: async () => {} })('r'))._unsafeUnwrap();
    expect(asked).toEqual([]);
    expect(claims).toEqual([{}]);
  });

  it.each([
    ['throws', () => Promise.reject(new Error('network down'))],
    ['answers nonsense', () => 'dead?' as Liveness],
    [
      'throws synchronously',
      () => {
        throw new Error('bug');
      },
    ],
  ])('counts as unknown when the check %s', async (_, check) => {
    const storage = memoryStorage();
    const clock = manualClock();
    await crashedOwner(storage, clock, 'r');
    const outcome = await load(storage, { clock, liveness: { check } })({ undo: async () => {} })('r');
    expect(outcome._unsafeUnwrapErr().type).toBe('RunBusy');
  });

  it('counts a check that hangs as unknown once livenessTimeoutMs has passed, and aborts it', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    await crashedOwner(storage, clock, 'r');
    let signal: AbortSignal | undefined;
    const hanging: LivenessCheck = {
      check: (_owner, s) => {
        signal = s;
        return new Promise<Liveness>(() => {});
      },
    };
    const pending = load(storage, { clock, liveness: hanging, livenessTimeoutMs: 500 })({
      undo: async () => {},
    })('r');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(signal?.aborted).toBe(false);
    clock.advance(500);
    expect((await pending)._unsafeUnwrapErr().type).toBe('RunBusy');
    expect(signal?.aborted).toBe(true);
  });

  it('is not taken over when the run moved on while the check was answering', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    await crashedOwner(storage, clock, 'r');
    let answer!: (value: Liveness) => void;
    const slow: LivenessCheck = { check: () => new Promise<Liveness>((resolve) => (answer = resolve)) };
    const pending = load(storage, { clock, liveness: slow, livenessTimeoutMs: 10 * LEASE })({
      undo: async () => {},
    })('r');
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Meanwhile the lease ran out and another process resumed the run.
    clock.advance(LEASE);
    const other = (
      await load(storage, { clock, ownerPrefix: 'C' })({ undo: async () => {} })('r')
    )._unsafeUnwrap();
    answer('dead');
    expect((await pending)._unsafeUnwrapErr().type).toBe('RunBusy');
    expect(parseOwner((await storage.read('r'))?.run.owner ?? '')?.identity).toBe('C');
    expect((await durable(storage)(other)('second')(2)(() => 2))._unsafeUnwrap()).toBe(2);
  });

  it('is not taken over when its owner renewed the lease while the check was answering (it was alive)', async () => {
    const inner = memoryStorage();
    const clock = manualClock();
    await crashedOwner(inner, clock, 'r');
    const seen = (await inner.read('r'))?.run;
    let answer!: (value: Liveness) => void;
    const slow: LivenessCheck = { check: () => new Promise<Liveness>((resolve) => (answer = resolve)) };
    const { storage, claims } = counting(inner);
    const pending = load(storage, { clock, liveness: slow })({ undo: async () => {} })('r');
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The owner renews (a wrong "dead"): the takeover asks for the lease it saw, and is refused.
    await inner.setLease({
      runId: 'r',
      owner: seen?.owner ?? '',
      leaseExpiresAt: clock.now() + 2 * LEASE,
      now: clock.now(),
    });
    answer('dead');
    expect((await pending)._unsafeUnwrapErr()).toMatchObject({
      type: 'RunBusy',
      leaseExpiresAt: clock.now() + 2 * LEASE,
    });
    expect(claims).toEqual([{}, { ifOwner: seen?.owner }]);
    expect((await inner.read('r'))?.run.owner).toBe(seen?.owner);
  });

  it("is checked with the storage's liveness by default, and the option wins", async () => {
    const inner = memoryStorage();
    const clock = manualClock();
    await crashedOwner(inner, clock, 'r');
    const fromStorage = checkFor('dead-A', 'unknown');
    const storage: Storage = { ...inner, name: inner.name, liveness: fromStorage.liveness };
    expect((await load(storage, { clock })({ undo: async () => {} })('r'))._unsafeUnwrapErr().type).toBe(
      'RunBusy',
    );
    expect(fromStorage.asked).toHaveLength(1);
    const option = checkFor('dead-A', 'dead');
    (
      await load(storage, { clock, liveness: option.liveness })({ undo: async () => {} })('r')
    )._unsafeUnwrap();
    expect([fromStorage.asked.length, option.asked.length]).toEqual([1, 1]);
  });

  it('refuses bad liveness options before any I/O', async () => {
    const { storage, claims } = counting(memoryStorage());
    const bad = [
      { liveness: {} as LivenessCheck },
      { liveness: { identity: '', check: () => 'dead' as const } },
      { liveness: { identity: 'x'.repeat(257), check: () => 'dead' as const } },
      { liveness: { identity: 'me', check: () => 'dead' as const }, ownerPrefix: 'also-me' },
      { livenessTimeoutMs: 0 },
      { livenessTimeoutMs: Number.NaN },
      { waitForLease: { timeoutMs: -1 } },
      { waitForLease: { signal: {} as AbortSignal } },
    ];
    for (const options of bad) {
      const outcome = await load(storage, options)({})('r');
      expect(outcome._unsafeUnwrapErr().type).toBe('InvalidArgument');
    }
    expect(claims).toEqual([]);
  });
});

describe('executorLiveness', () => {
  it('takes over at once a run its executor id held in an earlier incarnation', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    // What the process that ran as pod-3 before the restart wrote (another incarnation).
    await load(storage, { clock, ownerPrefix: ownerIdentity('exec', 'pod-3', crypto.randomUUID()) })({})('r');
    const cp = (await load(storage, { clock, liveness: executorLiveness('pod-3') })({})('r'))._unsafeUnwrap();
    expect(cp.attempt).toBe(2);
  });

  it("leaves alone this very process's runs and another executor's", async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    await load(storage, { clock, liveness: executorLiveness('pod-3') })({})('mine');
    await load(storage, { clock, ownerPrefix: ownerIdentity('exec', 'pod-4', crypto.randomUUID()) })({})(
      'theirs',
    );
    for (const runId of ['mine', 'theirs']) {
      const outcome = await load(storage, { clock, liveness: executorLiveness('pod-3') })({})(runId);
      expect(outcome._unsafeUnwrapErr().type).toBe('RunBusy');
    }
  });
});

describe('waitForLease', () => {
  it('waits for a busy run until its lease runs out, then claims it', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const { cp: dead } = await crashedOwner(storage, clock, 'r');
    const events: DurableEvent[] = [];
    let settled = false;
    const pending = (async () => {
      const outcome = await load(storage, { clock, waitForLease: {}, onEvent: (e) => events.push(e) })({
        undo: async () => {},
      })('r');
      settled = true;
      return outcome;
    })();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events.filter((e) => e.type === 'lease.waiting')).toEqual([
      { type: 'lease.waiting', runId: 'r', until: clock.now() + LEASE },
    ]);
    clock.advance(LEASE - 1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(settled).toBe(false);
    clock.advance(1);
    const cp = (await pending)._unsafeUnwrap();
    expect(cp).toMatchObject({ attempt: 2, cleanupsRun: ['undo'] });
    expect((await durable(storage)(dead)('late')(1)(() => 1))._unsafeUnwrapErr().type).toBe('LeaseLost');
  });

  it('asks the liveness check again every second, and takes over as soon as the owner is dead', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    await crashedOwner(storage, clock, 'r');
    let answer: Liveness = 'alive';
    const liveness: LivenessCheck = { check: () => answer };
    const pending = load(storage, { clock, liveness, waitForLease: {} })({ undo: async () => {} })('r');
    await new Promise((resolve) => setTimeout(resolve, 0));
    clock.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 0));
    answer = 'dead';
    clock.advance(1_000);
    expect((await pending)._unsafeUnwrap().attempt).toBe(2);
  });

  it('gives up with RunBusy at its deadline, or at once when its signal aborts', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    await crashedOwner(storage, clock, 'r');
    const bounded = load(storage, { clock, waitForLease: { timeoutMs: 5_000 } })({ undo: async () => {} })(
      'r',
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    clock.advance(5_000);
    expect((await bounded)._unsafeUnwrapErr().type).toBe('RunBusy');

    const controller = new AbortController();
    const cancelled = load(storage, { clock, waitForLease: { signal: controller.signal } })({
      undo: async () => {},
    })('r');
    await new Promise((resolve) => setTimeout(resolve, 0));
    controller.abort();
    expect((await cancelled)._unsafeUnwrapErr().type).toBe('RunBusy');
  });

  it('on the system clock, an aborted wait answers RunBusy at once', async () => {
    const storage = memoryStorage();
    await load(storage, { leaseMs: 60_000 })({})('r');
    const controller = new AbortController();
    const pending = load(storage, { waitForLease: { signal: controller.signal } })({})('r');
    setTimeout(() => controller.abort(), 10);
    expect((await pending)._unsafeUnwrapErr().type).toBe('RunBusy');
  });

  // Bun's getActiveResourcesInfo lists no timers: there is nothing to count on it.
  it.skipIf(Boolean(process.versions.bun))(
    'on the system clock, an aborted wait leaves no timer behind (a script that gives up exits)',
    async () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      const controller = new AbortController();
      const waiting = systemClock.wait?.(60_000, controller.signal);
      expect(timers()).toBe(before + 1);
      controller.abort();
      await waiting;
      expect(timers()).toBe(before);
    },
  );
});
