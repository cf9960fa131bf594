import { durable, type StepRecord } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { err, errAsync, ok, okAsync } from 'neverthrow';
import { expect, it } from 'vitest';
import {
  expectErr,
  LEASE_EXPIRY,
  NO_CLEANUPS,
  newClock,
  processOn,
  type SuiteContext,
  stepKeyOf,
  uniqueRunId,
} from '../context.ts';

/** semantics §4: memo by name + input hash, first writer wins, failures not memoized, the codec. */
export const stepSuite = ({ harness, options }: SuiteContext) => {
  const resume = async (runId: string, clock = newClock()) => {
    clock.advance(LEASE_EXPIRY);
    return processOn(harness().storage, clock).load(NO_CLEANUPS, runId);
  };

  it('skips a recorded step on resume whatever the key order of its input', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('memo');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    let runs = 0;
    const body = () => ({ runs: ++runs, at: new Date(0) });
    expect(await durable(storage)(cp)('fetch')({ a: 1, b: [1, 2] })(body)).toEqual({
      runs: 1,
      at: new Date(0),
    });
    const again = await resume(runId, clock);
    expect(await durable(storage)(again)('fetch')({ b: [1, 2], a: 1 })(body)).toEqual({
      runs: 1,
      at: new Date(0),
    });
    expect(runs).toBe(1);
    const key = await stepKeyOf('fetch', { a: 1, b: [1, 2] });
    expect((await storage.read(runId))?.steps.map((s) => s.key)).toEqual([key]);
    expect((await raw.readRun(runId))?.stepKeys).toEqual([key]);
  });

  it('runs a step again when its input changes, and keeps names apart', async () => {
    const { storage } = harness();
    const runId = uniqueRunId('input-change');
    const cp = await processOn(storage, newClock()).load(NO_CLEANUPS, runId);
    const step = durable(storage)(cp);
    const ran: string[] = [];
    await step('s')({ v: 1 })(() => ran.push('s1'));
    await step('s')({ v: 2 })(() => ran.push('s2'));
    await step('t')({ v: 1 })(() => ran.push('t1'));
    await step('s')({ v: 1 })(() => ran.push('s1-again'));
    expect(ran).toEqual(['s1', 's2', 't1']);
    expect((await storage.read(runId))?.steps).toHaveLength(3);
  });

  it('does not memoize a failing step (throw or Err); it runs again next attempt', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('failing');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    const cause = new Error('network down');
    const thrown = await expectErr(
      R.durable(storage)(cp)('call')({ id: 7 })(() => {
        throw cause;
      }),
      'StepFailed',
    );
    expect(thrown).toMatchObject({ runId, step: 'call', cause });
    const viaErr = await expectErr(
      R.durable(storage)(cp)('other')({})(() => errAsync('nope')),
      'StepFailed',
    );
    expect(viaErr.cause).toBe('nope');
    expect((await storage.read(runId))?.steps).toEqual([]);
    expect((await raw.readRun(runId))?.stepKeys).toEqual([]);
    const retry = await resume(runId, clock);
    expect(await durable(storage)(retry)('call')({ id: 7 })(() => okAsync('ok now'))).toBe('ok now');
    expect(await durable(storage)(retry)('sync-result')({})(() => ok(3))).toBe(3);
  });

  it('records concurrent steps of one run, and shares one execution of a duplicated key', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('concurrent');
    const cp = await processOn(storage, newClock()).load(NO_CLEANUPS, runId);
    const step = durable(storage)(cp);
    let duplicateRuns = 0;
    const outputs = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => step(`part-${i}`)({ i })(async () => i * 10)),
      step('dup')({})(async () => ++duplicateRuns),
      step('dup')({})(async () => ++duplicateRuns),
    ]);
    expect(outputs).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 1, 1]);
    expect(duplicateRuns).toBe(1);
    const stored = (await storage.read(runId))?.steps ?? [];
    expect(stored).toHaveLength(9);
    expect(new Set(stored.map((s) => s.seq)).size).toBe(9);
    expect((await raw.readRun(runId))?.stepKeys).toHaveLength(9);
  });

  it(`of ${options.concurrency} concurrent writers of one step key, the first record wins and all get it`, async () => {
    const { storage, reopen, raw } = harness();
    const runId = uniqueRunId('write-race');
    await processOn(storage, newClock()).load(NO_CLEANUPS, runId);
    const owner = (await storage.read(runId))?.run.owner as string;
    const others = await Promise.all([reopen(), reopen()]);
    const storages = [storage, ...others];
    const key = await stepKeyOf('same', {});
    const record = (i: number): StepRecord => ({
      key,
      name: 'same',
      seq: i + 1,
      output: `"writer ${i}"`,
      at: i,
    });
    const outcomes = await Promise.all(
      Array.from({ length: options.concurrency }, (_, i) =>
        storages[i % storages.length]!.putStep({ runId, owner, record: record(i) }),
      ),
    );
    const written = outcomes.flatMap((o, i) => (o.kind === 'written' ? [i] : []));
    expect(written).toHaveLength(1);
    const winner = record(written[0]!);
    for (const o of outcomes) if (o.kind === 'exists') expect(o.record).toEqual(winner);
    expect(outcomes.filter((o) => o.kind === 'exists')).toHaveLength(options.concurrency - 1);
    expect((await storage.read(runId))?.steps).toEqual([winner]);
    expect((await raw.readRun(runId))?.outputs).toEqual({ [key]: winner.output });
  });

  it(`${options.concurrency} runs stepping at once (one batch per tick with putSteps): every step runs once and is stored, a taken-over run fails alone`, async () => {
    const { storage } = harness();
    const clock = newClock();
    const label = uniqueRunId('together');
    const runIds = Array.from({ length: options.concurrency }, (_, i) => `${label}/${i}`);
    const cps = await Promise.all(runIds.map((runId) => processOn(storage, clock).load(NO_CLEANUPS, runId)));
    // One run is taken over by another process before its steps: its writes are fenced out.
    const lostRun = runIds[1] as string;
    const held = (await storage.read(lostRun))?.run.owner as string;
    await storage.claim({ runId: lostRun, owner: 'thief', now: clock.now(), leaseMs: 1000, ifOwner: held });
    const ran = new Map<string, number>();
    const outcomes = await Promise.allSettled(
      cps.map(async (cp, r) => {
        const step = durable(storage)(cp);
        let sum = 0;
        for (let i = 0; i < 5; i++) {
          sum += await step(`s${i}`)({ r, i })(() => {
            ran.set(`${r}/${i}`, (ran.get(`${r}/${i}`) ?? 0) + 1);
            return i;
          });
        }
        return sum;
      }),
    );
    expect(outcomes.map((o) => o.status)).toEqual(
      runIds.map((id) => (id === lostRun ? 'rejected' : 'fulfilled')),
    );
    for (const [r, runId] of runIds.entries()) {
      if (runId === lostRun) {
        expect(
          (await storage.read(runId))?.steps,
          'a run taken over stores nothing of its old owner',
        ).toEqual([]);
        continue;
      }
      expect((outcomes[r] as PromiseFulfilledResult<number>).value).toBe(10);
      expect((await storage.read(runId))?.steps.map((s) => s.name).sort()).toEqual([
        's0',
        's1',
        's2',
        's3',
        's4',
      ]);
    }
    expect(
      [...ran.values()].every((n) => n === 1),
      'every step function ran once',
    ).toBe(true);
  });

  it('round-trips Date, BigInt, Map, Set, undefined, Uint8Array and friends through the backend', async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('codec');
    const value = {
      when: new Date('2026-02-03T04:05:06.789Z'),
      big: 2n ** 70n,
      map: new Map<unknown, unknown>([
        ['k', 1],
        [2, new Set(['x'])],
      ]),
      set: new Set([1, 'two']),
      missing: undefined,
      bytes: new Uint8Array([0, 1, 254, 255]),
      list: [undefined, null, Number.NaN, -0, Number.POSITIVE_INFINITY],
      text: 'quotes " \' \\ and \u0001 and 🚀',
      $dx: 'a user key that looks like a tag',
    };
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    await durable(storage)(cp)('rich')({})(() => value);
    clock.advance(LEASE_EXPIRY);
    const fresh = await reopen();
    const again = await processOn(fresh, clock).load(NO_CLEANUPS, runId);
    const replayed: unknown = await durable(fresh)(again)('rich')({})(() => 'must not run');
    expect(replayed).toEqual(value);
    expect(Object.is((replayed as typeof value).list[3], -0)).toBe(true);
    expect(Object.hasOwn(replayed as object, 'missing')).toBe(true);
  });

  it('refuses an unencodable output or input with a typed error before anything is written', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('unencodable');
    const cp = await processOn(storage, newClock()).load(NO_CLEANUPS, runId);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const output = await expectErr(
      R.durable(storage)(cp)('cycle')({})(() => cyclic),
      'NotEncodable',
    );
    expect(output).toMatchObject({ what: 'output', path: '$.self' });
    await expectErr(
      R.durable(storage)(cp)('fn')({})(() => ({ f: () => 1 })),
      'NotEncodable',
    );
    let ran = false;
    const input = await expectErr(
      R.durable(storage)(cp)('in')({ f: Symbol('x') })(() => (ran = true)),
      'NotEncodable',
    );
    expect(input).toMatchObject({ what: 'input', path: '$.f' });
    expect(ran).toBe(false);
    await expectErr(
      R.durable(storage)(cp)('')({})(() => 1),
      'InvalidName',
    );
    expect((await storage.read(runId))?.steps).toEqual([]);
    expect((await raw.readRun(runId))?.stepKeys).toEqual([]);
  });

  it(`stores and replays outputs of ${options.largeOutputBytes} bytes`, async () => {
    const { storage, reopen } = harness();
    const clock = newClock();
    const runId = uniqueRunId('large');
    const big = Array.from({ length: options.largeOutputBytes / 10 }, (_, i) =>
      `${i}`.padStart(10, '·').slice(-10),
    ).join('');
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
    expect(await durable(storage)(cp)('big')({})(() => ({ big }))).toEqual({ big });
    clock.advance(LEASE_EXPIRY);
    const fresh = await reopen();
    const again = await processOn(fresh, clock).load(NO_CLEANUPS, runId);
    const replayed = (await durable(fresh)(again)('big')({})(() => ({ big: 'must not run' }))) as {
      big: string;
    };
    expect(replayed.big.length).toBe(big.length);
    expect(replayed.big === big).toBe(true);
  });

  it('a failing Result-returning step and a thrown step both surface through the value API as DurableXError', async () => {
    const { storage } = harness();
    const cp = await processOn(storage, newClock()).load(NO_CLEANUPS, uniqueRunId('throwing-api'));
    await expect(durable(storage)(cp)('e')({})(() => err(new Error('typed')))).rejects.toMatchObject({
      name: 'DurableXError',
      error: { type: 'StepFailed', step: 'e' },
    });
  });
};
