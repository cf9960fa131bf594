import { expect, it } from 'vitest';
import { newClock, type SuiteContext } from '../context.ts';
import { cleanupRecord, createdRun, expectUnchanged, stepRecord, stored } from '../direct.ts';

/** Step and cleanup records, called directly: `putStep`, `putCleanup`, `removeCleanup`, `rollback`. */
export const recordSuite = ({ harness }: SuiteContext) => {
  it('putStep stores a record byte for byte under (run, key): the same key in two runs is two records', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const first = await createdRun(storage, 'step-run-a', now);
    const second = await createdRun(storage, 'step-run-b', now);
    const a = { key: 'same#k', name: 'same', seq: 3, output: '{"run":"a","n":1.50}', at: now + 1 };
    const b = { key: 'same#k', name: 'same', seq: 5, output: '{"run":"b"}', at: now + 2 };
    expect(
      await storage.putStep({ runId: first, owner: 'a', record: a }),
      'putStep of a new key → written',
    ).toEqual({
      kind: 'written',
    });
    expect(
      await storage.putStep({ runId: second, owner: 'a', record: b }),
      'putStep is keyed by (runId, key): the same key in another run is a new record',
    ).toEqual({ kind: 'written' });
    expect((await storage.read(first))?.steps, 'putStep stores every field of the record as given').toEqual([
      a,
    ]);
    expect((await storage.read(second))?.steps, 'putStep stores every field of the record as given').toEqual([
      b,
    ]);
    expect((await raw.readRun(first))?.outputs, 'putStep: the output as stored (raw read)').toEqual({
      'same#k': a.output,
    });
  });

  it('putStep: the first stored record wins; a second writer gets exists with it, not its own', async () => {
    const { storage } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'step-first-wins', now);
    const first = stepRecord('s#1', 1, now, '"first"');
    await storage.putStep({ runId, owner: 'a', record: first });
    const before = await stored(storage, runId);
    const second = { ...first, seq: 2, output: '"second"', at: now + 1 };
    expect(
      await storage.putStep({ runId, owner: 'a', record: second }),
      'putStep of a stored key → exists with the STORED record (first wins)',
    ).toEqual({ kind: 'exists', record: first });
    await expectUnchanged(storage, runId, before, 'putStep of a stored key');
  });

  it('putCleanup stores a record byte for byte; a second put of the same id replaces the first', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'cleanup-replace', now);
    const other = cleanupRecord(1, now);
    const first = { id: 2, name: 'undo', seq: 2, params: '{"path":"/tmp/a","n":1.0}', at: now + 1 };
    expect(
      await storage.putCleanup({ runId, owner: 'a', record: other }),
      'putCleanup by the owner → ok',
    ).toBe('ok');
    expect(
      await storage.putCleanup({ runId, owner: 'a', record: first }),
      'putCleanup by the owner → ok',
    ).toBe('ok');
    expect((await stored(storage, runId))?.cleanups, 'putCleanup stores every field as given').toEqual([
      other,
      first,
    ]);
    const replacement = { id: 2, name: 'redo', seq: 2, params: '{"path":"/tmp/b"}', at: now + 2 };
    expect(
      await storage.putCleanup({ runId, owner: 'a', record: replacement }),
      'a second putCleanup of an id → ok',
    ).toBe('ok');
    expect(
      (await stored(storage, runId))?.cleanups,
      'putCleanup: ids are unique in a run; a second put of the same id replaces the first',
    ).toEqual([other, replacement]);
    expect((await raw.readRun(runId))?.cleanupNames, 'a replaced cleanup (raw read)').toEqual([
      other.name,
      'redo',
    ]);
  });

  it('removeCleanup deletes exactly that cleanup; an absent id is fine', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'cleanup-remove', now);
    const records = [1, 2, 3].map((id) => cleanupRecord(id, now));
    for (const record of records) await storage.putCleanup({ runId, owner: 'a', record });
    await storage.putStep({ runId, owner: 'a', record: stepRecord('s#4', 4, now) });
    expect(await storage.removeCleanup({ runId, owner: 'a', id: 2 }), 'removeCleanup by the owner → ok').toBe(
      'ok',
    );
    const after = await stored(storage, runId);
    expect(after?.cleanups, 'removeCleanup deletes the cleanup of that id, and only it').toEqual([
      records[0],
      records[2],
    ]);
    expect(
      after?.steps.map((s) => s.key),
      'removeCleanup leaves steps alone',
    ).toEqual(['s#4']);
    expect(
      await storage.removeCleanup({ runId, owner: 'a', id: 99 }),
      'removeCleanup of an absent id is fine → ok',
    ).toBe('ok');
    await expectUnchanged(storage, runId, after, 'removeCleanup of an absent id');
    expect((await raw.readRun(runId))?.cleanupNames, 'removeCleanup (raw read)').toEqual([
      'undo-1',
      'undo-3',
    ]);
  });

  it('removeCleanup with a record stores it in the same write, first one stays; a resend stores no twin', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'cleanup-remove-record', now);
    for (const id of [1, 2]) await storage.putCleanup({ runId, owner: 'a', record: cleanupRecord(id, now) });
    const closed = stepRecord('undo#safe1', 3, now, '1');
    expect(
      await storage.removeCleanup({ runId, owner: 'a', id: 1, record: closed }),
      'removeCleanup with a record by the owner → ok',
    ).toBe('ok');
    const after = await stored(storage, runId);
    expect(
      after?.cleanups.map((c) => c.id),
      'removeCleanup with a record deletes that cleanup',
    ).toEqual([2]);
    expect(after?.steps, 'removeCleanup with a record stores it byte for byte').toEqual([closed]);
    expect((await raw.readRun(runId))?.stepKeys, 'removeCleanup with a record (raw read)').toEqual([
      'undo#safe1',
    ]);
    const resent = await storage.removeCleanup({
      runId,
      owner: 'a',
      id: 1,
      record: { ...closed, output: '2', at: now + 1 },
    });
    expect(resent, 'a resent removeCleanup with a record → ok').toBe('ok');
    await expectUnchanged(
      storage,
      runId,
      after,
      'a resent removeCleanup with a record (the first record stays)',
    );
    expect(
      await storage.removeCleanup({ runId, owner: 'b', id: 2, record: stepRecord('x#safe1', 4, now) }),
      'removeCleanup with a record by another owner → lease-lost',
    ).toBe('lease-lost');
    await expectUnchanged(storage, runId, after, 'a refused removeCleanup with a record');
  });

  it('rollback deletes that cleanup and every step after afterSeq, keeping the step at afterSeq, signals and the other cleanups', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'rollback', now);
    for (const seq of [1, 2, 3, 4, 5]) {
      await storage.putStep({ runId, owner: 'a', record: stepRecord(`s#${seq}`, seq, now) });
    }
    await storage.putSignal({ runId, record: stepRecord('go#signal', 0, now), now });
    const cleanups = [cleanupRecord(1, now), cleanupRecord(3, now), cleanupRecord(5, now)];
    for (const record of cleanups) await storage.putCleanup({ runId, owner: 'a', record });
    const headBefore = (await storage.read(runId))?.run;
    expect(
      await storage.rollback({ runId, owner: 'a', cleanupId: 3, afterSeq: 3 }),
      'rollback by the owner → ok',
    ).toBe('ok');
    const after = await stored(storage, runId);
    expect(
      after?.steps.map((s) => s.key),
      'rollback deletes every step whose seq is GREATER than afterSeq (the step at afterSeq, earlier ones and signals stay)',
    ).toEqual(['go#signal', 's#1', 's#2', 's#3']);
    expect(
      after?.cleanups,
      'rollback deletes the cleanup cleanupId and no other (a later one included)',
    ).toEqual([cleanups[0], cleanups[2]]);
    expect(after?.run, 'rollback leaves the head alone').toEqual(headBefore);
    expect([...((await raw.readRun(runId))?.stepKeys ?? [])].sort(), 'rollback (raw read)').toEqual(
      ['go#signal', 's#1', 's#2', 's#3'].sort(),
    );
    expect(
      await storage.rollback({ runId, owner: 'a', cleanupId: 0, afterSeq: 1 }),
      'rollback with an absent cleanup id is fine (the core passes 0 to forget steps only) → ok',
    ).toBe('ok');
    const forgotten = await stored(storage, runId);
    expect(
      forgotten?.steps.map((s) => s.key),
      'rollback with cleanup id 0 forgets the steps after afterSeq',
    ).toEqual(['go#signal', 's#1']);
    expect(forgotten?.cleanups, 'rollback with cleanup id 0 keeps every cleanup').toEqual([
      cleanups[0],
      cleanups[2],
    ]);
  });
};
