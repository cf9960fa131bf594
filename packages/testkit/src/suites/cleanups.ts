import { afterSafe, beforeRisky, type CleanupRegistry, complete, durable } from '@td7x/durable-x';
import * as R from '@td7x/durable-x/result';
import { expect, it } from 'vitest';
import {
  expectErr,
  LEASE_EXPIRY,
  newClock,
  processOn,
  type SuiteContext,
  stepKeyOf,
  uniqueRunId,
} from '../context.ts';

/** A registry whose runners log what they undo; `failing` names throw until `heal()`. */
const recordingRegistry = (names: string[], failing: string[] = []) => {
  const log: string[] = [];
  const broken = new Set(failing);
  const registry: CleanupRegistry = Object.fromEntries(
    names.map((name) => [
      name,
      async (params: Record<string, unknown>) => {
        if (broken.has(name)) throw new Error(`${name} cannot undo yet`);
        log.push(`${name}(${JSON.stringify(params)})`);
      },
    ]),
  );
  return { registry, log, heal: (name: string) => broken.delete(name) };
};

/** semantics §3.2, §5, §7: cleanups run on resume newest first and roll back later steps. */
export const cleanupSuite = ({ harness }: SuiteContext) => {
  it('on resume runs pending cleanups newest first, forgets later steps, keeps earlier ones', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('resume');
    const { registry, log } = recordingRegistry(['delete_temp', 'rollback_upload']);
    const ran: string[] = [];
    const attempt = async () => {
      const cp = await processOn(storage, clock).load(registry, runId);
      const step = durable(storage)(cp);
      await step('download')({ id: 1 })(() => ran.push('download'));
      await beforeRisky(storage)(cp)('delete_temp')({ path: '/tmp/x' });
      await step('process')({ id: 1 })(() => ran.push('process'));
      await beforeRisky(storage)(cp)('rollback_upload')({ url: 's3://b/1' });
      await step('upload')({ id: 1 })(() => ran.push('upload'));
      return cp;
    };
    await attempt(); // crashes: neither cleanup was made safe
    expect(ran).toEqual(['download', 'process', 'upload']);
    clock.advance(LEASE_EXPIRY);
    const cp = await attempt();
    expect(cp.cleanupsRun).toEqual(['rollback_upload', 'delete_temp']);
    expect(log).toEqual(['rollback_upload({"url":"s3://b/1"})', 'delete_temp({"path":"/tmp/x"})']);
    expect(ran).toEqual(['download', 'process', 'upload', 'process', 'upload']);
    await afterSafe(storage)(cp)('rollback_upload');
    await afterSafe(storage)(cp)('delete_temp');
    await complete(storage)(cp);
    const stored = await storage.read(runId);
    expect(stored?.cleanups).toEqual([]);
    const stepKeys = (
      await Promise.all(['download', 'process', 'upload'].map((n) => stepKeyOf(n, { id: 1 })))
    ).sort();
    // Besides the steps: each closed risky window is recorded, so a replay does not reopen it.
    const windows = ['delete_temp#safe1', 'rollback_upload#safe1'];
    expect(stored?.steps.map((s) => s.key).sort()).toEqual([...stepKeys, ...windows].sort());
    const row = await raw.readRun(runId);
    expect(row?.cleanupNames).toEqual([]);
    expect([...(row?.stepKeys ?? [])].sort()).toEqual([...stepKeys, ...windows].sort());
  });

  it('stores a cleanup before the risky call and removes it after afterSafe', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('after-safe');
    const { registry, log } = recordingRegistry(['undo']);
    const cp = await processOn(storage, clock).load(registry, runId);
    await beforeRisky(storage)(cp)('undo')({ n: 1 });
    const pending = (await storage.read(runId))?.cleanups ?? [];
    expect(pending.map((c) => c.name)).toEqual(['undo']);
    expect((await raw.readRun(runId))?.cleanupNames).toEqual(['undo']);
    await afterSafe(storage)(cp)('undo');
    expect((await storage.read(runId))?.cleanups).toEqual([]);
    clock.advance(LEASE_EXPIRY);
    const again = await processOn(storage, clock).load(registry, runId);
    expect(again.cleanupsRun).toEqual([]);
    expect(log).toEqual([]);
  });

  it('a failing cleanup stays pending with the older ones, is reported, and is retried next load', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('cleanup-fails');
    const { registry, log, heal } = recordingRegistry(['older', 'flaky', 'newest'], ['flaky']);
    const cp = await processOn(storage, clock).load(registry, runId);
    await beforeRisky(storage)(cp)('older')({});
    await beforeRisky(storage)(cp)('flaky')({});
    await beforeRisky(storage)(cp)('newest')({});
    clock.advance(LEASE_EXPIRY);
    const failed = await expectErr(R.load(storage, { clock })(registry)(runId), 'CleanupFailed');
    expect(failed).toMatchObject({ runId, cleanup: 'flaky' });
    expect(log).toEqual(['newest({})']);
    expect(((await storage.read(runId))?.cleanups ?? []).map((c) => c.name)).toEqual(['older', 'flaky']);
    heal('flaky');
    // The failed load released the lease: the retry needs no wait.
    const retried = await processOn(storage, clock).load(registry, runId);
    expect(retried.cleanupsRun).toEqual(['flaky', 'older']);
    expect(log).toEqual(['newest({})', 'flaky({})', 'older({})']);
  });

  it('a pending cleanup with no runner is a typed error and nothing runs; beforeRisky refuses unknown names', async () => {
    const { storage } = harness();
    const clock = newClock();
    const runId = uniqueRunId('unknown-cleanup');
    const full = recordingRegistry(['known', 'gone']);
    const cp = await processOn(storage, clock).load(full.registry, runId);
    await beforeRisky(storage)(cp)('gone')({});
    await beforeRisky(storage)(cp)('known')({});
    await expectErr(R.beforeRisky(storage)(cp)('never_registered')({}), 'UnknownCleanup');
    clock.advance(LEASE_EXPIRY);
    const partial = recordingRegistry(['known']);
    const unknown = await expectErr(R.load(storage, { clock })(partial.registry)(runId), 'UnknownCleanup');
    expect(unknown.names).toEqual(['gone']);
    expect(partial.log).toEqual([]);
    expect(((await storage.read(runId))?.cleanups ?? []).map((c) => c.name)).toEqual(['gone', 'known']);
    const fixed = await processOn(storage, clock).load(full.registry, runId);
    expect(fixed.cleanupsRun).toEqual(['known', 'gone']);
  });

  it('complete drops pending cleanups, reports them, and releases the run', async () => {
    const { storage, raw } = harness();
    const runId = uniqueRunId('complete-drops');
    const { registry, log } = recordingRegistry(['tmp']);
    const cp = await processOn(storage, newClock()).load(registry, runId);
    await beforeRisky(storage)(cp)('tmp')({ p: 1 });
    const report = await complete(storage)(cp);
    expect(report).toEqual({ runId, droppedCleanups: ['tmp'] });
    expect(cp.status).toBe('completed');
    const stored = await storage.read(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null });
    expect(stored?.cleanups).toEqual([]);
    expect(log).toEqual([]);
    expect(await raw.readRun(runId)).toMatchObject({ status: 'completed', owner: null, cleanupNames: [] });
    expect(await complete(storage)(cp)).toEqual({ runId, droppedCleanups: [] });
  });

  it('fail runs the cleanups now, records the error, and a retry takes over at once', async () => {
    const { storage, raw } = harness();
    const clock = newClock();
    const runId = uniqueRunId('fail');
    const { registry, log } = recordingRegistry(['undo']);
    const cp = await processOn(storage, clock).load(registry, runId);
    await durable(storage)(cp)('before')({})(() => 'kept');
    await beforeRisky(storage)(cp)('undo')({ n: 1 });
    await durable(storage)(cp)('after')({})(() => 'forgotten');
    const report = await R.fail(storage)(cp)(new Error('payment declined'));
    expect(report._unsafeUnwrap()).toEqual({ runId, cleanupsRun: ['undo'] });
    expect(log).toEqual(['undo({"n":1})']);
    const stored = await storage.read(runId);
    expect(stored?.run).toMatchObject({ status: 'failed', owner: null });
    expect(stored?.run.error).toContain('payment declined');
    expect(stored?.steps.map((s) => s.name)).toEqual(['before']);
    expect(await raw.readRun(runId)).toMatchObject({ status: 'failed', owner: null, cleanupNames: [] });
    const retry = await processOn(storage, clock).load(registry, runId);
    expect(retry).toMatchObject({ status: 'running', attempt: 2 });
    let reran = false;
    const replayed = await durable(storage)(retry)('before')({})(() => {
      reran = true;
      return 'again';
    });
    expect(replayed).toBe('kept');
    expect(reran).toBe(false);
  });
};
