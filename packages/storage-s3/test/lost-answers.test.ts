import type { StepRecord, Storage } from '@td7x/durable-x';
import { describe, expect, it } from 'vitest';
import { s3Storage } from '../src/index.ts';
import { bucketForFile } from './file-bucket.ts';
import { answerLoser } from './lose-answers.ts';

// A PUT that lands but whose answer is lost, so that the SDK resends it (and gets 412), possibly
// after another process wrote the run in between: each operation must answer what it would have
// answered had the answer arrived, change nothing twice, and never delete a value the stored
// document references.

const LEASE = 30_000;
const T0 = Date.UTC(2026, 0, 1);
const b = bucketForFile('lost');

/** Another process: its own client and adapter. Values over 100 bytes go out of line. */
const instance = (prefix: string) => {
  const client = b.client();
  const loser = answerLoser(client);
  return { storage: s3Storage({ client, bucket: b.bucket, prefix, inlineValueBytes: 100 }), loser };
};

const record = (key: string, seq: number, output: string, at = T0): StepRecord => ({
  key,
  name: key.split('#')[0] ?? key,
  seq,
  output,
  at,
});

const big = (seed: string) => JSON.stringify(seed.repeat(500));

/** The run as a process that never saw it reads it (fails if a referenced value is missing). */
const readFresh = (prefix: string, runId: string) => instance(prefix).storage.read(runId);

const valueKeys = (prefix: string) => b.keys(`${prefix}values/`);

/** A running run owned by `a`, through `storage`. */
const claimed = async (storage: Storage, runId: string) => {
  expect(await storage.claim({ runId, owner: 'a', now: T0, leaseMs: LEASE })).toMatchObject({
    kind: 'claimed',
  });
};

describe('s3: a lost answer and another writer never delete a stored value', () => {
  it('putStep: its out-of-line output stays, and the step answers written', async () => {
    const prefix = 'step-blob/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await claimed(owner.storage, 'r');
    const output = big('v');
    owner.loser.loseNextDocumentPut(() =>
      sender.storage.putSignal({ runId: 'r', record: record('go#signal', 0, '"go"'), now: T0 }),
    );
    expect(await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, output) })).toEqual(
      {
        kind: 'written',
      },
    );
    expect(owner.loser.lost()).toBe(1);
    const stored = await readFresh(prefix, 'r');
    expect(stored?.steps.map((s) => [s.key, s.output === output])).toEqual([
      ['s#1', true],
      ['go#signal', false],
    ]);
    expect(await valueKeys(prefix)).toHaveLength(1);
  });

  it('putSignal: its out-of-line payload stays, and the sender is told accepted (written)', async () => {
    const prefix = 'signal-blob/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await claimed(owner.storage, 'r');
    await owner.storage.suspend({ runId: 'r', owner: 'a', at: T0, wakeAt: T0 + 3_600_000 });
    const payload = big('p');
    sender.loser.loseNextDocumentPut(() =>
      owner.storage.putSignal({ runId: 'r', record: record('other#signal', 0, '"x"'), now: T0 + 1 }),
    );
    expect(
      await sender.storage.putSignal({ runId: 'r', record: record('go#signal', 0, payload), now: T0 }),
    ).toEqual({ kind: 'written', status: 'suspended' });
    const stored = await readFresh(prefix, 'r');
    expect(stored?.steps.find((s) => s.key === 'go#signal')?.output === payload).toBe(true);
    expect(stored?.run.leaseExpiresAt).toBe(T0);
    expect(await valueKeys(prefix)).toHaveLength(1);
  });

  it('putCleanup: its out-of-line params stay', async () => {
    const prefix = 'cleanup-blob/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await claimed(owner.storage, 'r');
    const params = big('c');
    owner.loser.loseNextDocumentPut(() =>
      sender.storage.putSignal({ runId: 'r', record: record('go#signal', 0, '"go"'), now: T0 }),
    );
    expect(
      await owner.storage.putCleanup({
        runId: 'r',
        owner: 'a',
        record: { id: 1, name: 'undo', seq: 1, params, at: T0 },
      }),
    ).toBe('ok');
    expect((await readFresh(prefix, 'r'))?.cleanups.map((c) => c.params === params)).toEqual([true]);
    expect(await valueKeys(prefix)).toHaveLength(1);
  });

  it('rollback: the values it dropped are deleted even when it is decided again after another write', async () => {
    const prefix = 'rollback-blob/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await claimed(owner.storage, 'r');
    await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, big('1')) });
    await owner.storage.putCleanup({
      runId: 'r',
      owner: 'a',
      record: { id: 2, name: 'undo', seq: 2, params: big('u'), at: T0 },
    });
    await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#3', 3, big('3')) });
    expect(await valueKeys(prefix)).toHaveLength(3);
    owner.loser.loseNextDocumentPut(() =>
      sender.storage.putSignal({ runId: 'r', record: record('go#signal', 0, '"go"'), now: T0 }),
    );
    expect(await owner.storage.rollback({ runId: 'r', owner: 'a', cleanupId: 2, afterSeq: 2 })).toBe('ok');
    const stored = await readFresh(prefix, 'r');
    expect(stored?.steps.map((s) => s.key)).toEqual(['s#1', 'go#signal']);
    expect(stored?.cleanups).toEqual([]);
    expect(await valueKeys(prefix)).toHaveLength(1);
  });
});

describe('s3: every operation resent by the SDK after a lost answer, another process writing in between', () => {
  it('claim (create): claimed once, previousStatus null, attempt 1', async () => {
    const prefix = 'resend-create/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    owner.loser.loseNextDocumentPut(() =>
      sender.storage.putSignal({ runId: 'r', record: record('go#signal', 0, '"go"'), now: T0 }),
    );
    expect(await owner.storage.claim({ runId: 'r', owner: 'a', now: T0, leaseMs: LEASE })).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
      snapshot: { run: { owner: 'a', attempt: 1, status: 'running' } },
    });
    expect((await readFresh(prefix, 'r'))?.run).toMatchObject({ owner: 'a', attempt: 1 });
  });

  it('claim (takeover of a suspended run): previousStatus suspended, attempt counted once', async () => {
    const prefix = 'resend-takeover/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await claimed(owner.storage, 'r');
    await owner.storage.suspend({ runId: 'r', owner: 'a', at: T0, wakeAt: T0 + 10 });
    const next = instance(prefix);
    next.loser.loseNextDocumentPut(() =>
      sender.storage.putSignal({ runId: 'r', record: record('go#signal', 0, '"go"'), now: T0 + 10 }),
    );
    const outcome = await next.storage.claim({ runId: 'r', owner: 'b', now: T0 + 10, leaseMs: LEASE });
    expect(outcome).toMatchObject({
      kind: 'claimed',
      previousStatus: 'suspended',
      snapshot: { run: { owner: 'b', attempt: 2, status: 'running' } },
    });
    expect(outcome.kind === 'claimed' && outcome.snapshot.steps.map((s) => s.key)).toEqual(['go#signal']);
  });

  it('putStep (inline): written, one record', async () => {
    const prefix = 'resend-step/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await claimed(owner.storage, 'r');
    owner.loser.loseNextDocumentPut(() =>
      sender.storage.putSignal({ runId: 'r', record: record('go#signal', 0, '"go"'), now: T0 }),
    );
    expect(await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, '1') })).toEqual({
      kind: 'written',
    });
    expect((await readFresh(prefix, 'r'))?.steps.map((s) => s.key)).toEqual(['s#1', 'go#signal']);
  });

  it('putSignal (inline): written, not "exists"', async () => {
    const prefix = 'resend-signal/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    await claimed(owner.storage, 'r');
    sender.loser.loseNextDocumentPut(() =>
      owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, '1') }),
    );
    expect(
      await sender.storage.putSignal({
        runId: 'r',
        record: record('go#signal', 0, '"go"'),
        now: T0,
        maxSignals: 1,
      }),
    ).toEqual({ kind: 'written', status: 'running' });
  });

  it('removeCleanup, setLease, suspend, finish and cancel answer as the first time', async () => {
    const prefix = 'resend-rest/';
    const owner = instance(prefix);
    const sender = instance(prefix);
    let n = 0;
    const signalMeanwhile = () =>
      sender.storage.putSignal({ runId: 'r', record: record(`s${++n}#signal`, 0, '"x"'), now: T0 });
    await claimed(owner.storage, 'r');
    await owner.storage.putCleanup({
      runId: 'r',
      owner: 'a',
      record: { id: 1, name: 'undo', seq: 1, params: '{}', at: T0 },
    });

    owner.loser.loseNextDocumentPut(signalMeanwhile);
    expect(await owner.storage.removeCleanup({ runId: 'r', owner: 'a', id: 1 })).toBe('ok');
    owner.loser.loseNextDocumentPut(signalMeanwhile);
    expect(
      await owner.storage.setLease({ runId: 'r', owner: 'a', leaseExpiresAt: T0 + 2 * LEASE, now: T0 + 1 }),
    ).toBe('ok');
    const renewed = await readFresh(prefix, 'r');
    expect(renewed?.run.leaseExpiresAt).toBe(T0 + 2 * LEASE);
    expect(renewed?.cleanups).toEqual([]);
    owner.loser.loseNextDocumentPut(signalMeanwhile);
    expect(await owner.storage.suspend({ runId: 'r', owner: 'a', at: T0 + 2, wakeAt: T0 + 100 })).toEqual({
      kind: 'suspended',
      // The signal that landed in between woke the run: the stored wake time is its time.
      wakeAt: T0,
    });
    expect(await owner.storage.claim({ runId: 'r', owner: 'a2', now: T0 + 3, leaseMs: LEASE })).toMatchObject(
      {
        kind: 'claimed',
      },
    );
    owner.loser.loseNextDocumentPut(signalMeanwhile);
    expect(
      await owner.storage.finish({
        runId: 'r',
        owner: 'a2',
        status: 'failed',
        at: T0 + 4,
        error: '"e"',
        dropCleanups: false,
      }),
    ).toBe('ok');
    sender.loser.loseNextDocumentPut(() =>
      owner.storage.claim({ runId: 'r', owner: 'a3', now: T0 + 5, leaseMs: LEASE }),
    );
    expect(await sender.storage.cancel({ runId: 'r', at: T0 + 6 })).toMatchObject({
      kind: 'cancelled',
      run: { status: 'cancelled', owner: 'a3' },
    });
    const stored = await readFresh(prefix, 'r');
    expect(stored?.run).toMatchObject({ status: 'cancelled', owner: 'a3', attempt: 3 });
    expect(stored?.steps).toHaveLength(4);
    expect(stored?.cleanups).toEqual([]);
  });

  it('purge: the run is deleted once, and counted', async () => {
    const prefix = 'resend-purge/';
    const owner = instance(prefix);
    await claimed(owner.storage, 'r');
    await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, big('1')) });
    await owner.storage.finish({
      runId: 'r',
      owner: 'a',
      status: 'completed',
      at: T0,
      error: null,
      dropCleanups: true,
    });
    owner.loser.loseNextDocumentPut();
    expect(await owner.storage.purge({ statuses: ['completed'], updatedBefore: T0 + 1, limit: 10 })).toBe(1);
    expect(await b.keys(prefix)).toEqual([]);
  });
});

describe('s3: the SDK gives up (every answer lost), and the caller sends the same request again', () => {
  it('the call rejects; the resent one answers as the contract says and nothing is lost', async () => {
    const prefix = 'give-up/';
    const owner = instance(prefix);
    await claimed(owner.storage, 'r');
    const output = big('g');
    owner.loser.loseNextDocumentPut(undefined, 3);
    await expect(
      owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, output) }),
    ).rejects.toThrow();
    // The first attempt landed. A resent putStep is another call: it gets the stored record back.
    const again = await owner.storage.putStep({ runId: 'r', owner: 'a', record: record('s#1', 1, output) });
    expect(again.kind === 'exists' && again.record.output === output).toBe(true);
    expect((await readFresh(prefix, 'r'))?.steps.map((s) => s.output === output)).toEqual([true]);
    // Only the landed upload's value remains.
    expect(await valueKeys(prefix)).toHaveLength(1);

    owner.loser.loseNextDocumentPut(undefined, 3);
    const request = {
      runId: 'r',
      owner: 'a',
      status: 'completed',
      at: T0,
      error: null,
      dropCleanups: true,
    } as const;
    await expect(owner.storage.finish(request)).rejects.toThrow();
    expect(await owner.storage.finish(request)).toBe('ok');
    expect((await readFresh(prefix, 'r'))?.run).toMatchObject({ status: 'completed', owner: null });
  });

  it('a resent claim answers as the first: claimed, the same previousStatus, attempt counted once', async () => {
    const prefix = 'give-up-claim/';
    const owner = instance(prefix);
    await claimed(owner.storage, 'r');
    await owner.storage.suspend({ runId: 'r', owner: 'a', at: T0, wakeAt: T0 });
    const next = instance(prefix);
    const request = { runId: 'r', owner: 'b', now: T0 + 1, leaseMs: LEASE };
    next.loser.loseNextDocumentPut(undefined, 3);
    await expect(next.storage.claim(request)).rejects.toThrow();
    expect(await next.storage.claim(request)).toMatchObject({
      kind: 'claimed',
      previousStatus: 'suspended',
      snapshot: { run: { owner: 'b', attempt: 2 } },
    });
  });
});
