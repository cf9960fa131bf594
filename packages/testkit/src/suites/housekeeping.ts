import {
  beforeRisky,
  complete,
  durable,
  findAbandoned,
  listRuns,
  manualClock,
  purgeRuns,
  type RunHead,
  recoverAbandoned,
} from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { LEASE_MS, NO_CLEANUPS, processOn, type SuiteContext, uniqueRunId } from '../context.ts';

// Each test lives in its own era of time so that it sees only its own runs among everything
// the other tests left in the shared namespace (which all live in 2026).
const eraClock = (year: number) => manualClock(Date.UTC(year, 0, 1));

const allPages = async (page: (cursor?: string) => Promise<{ runs: readonly RunHead[]; next?: string }>) => {
  const runs: RunHead[] = [];
  let cursor: string | undefined;
  do {
    const result = await page(cursor);
    runs.push(...result.runs);
    cursor = result.next;
  } while (cursor !== undefined);
  return runs;
};

/** semantics §10: list by status and age (paged), find and recover abandoned runs, purge. */
export const housekeepingSuite = ({ harness }: SuiteContext) => {
  it('lists runs by status and age, oldest first, a page at a time', async () => {
    const { storage } = harness();
    const clock = eraClock(1995);
    const label = uniqueRunId('list');
    const ids = Array.from({ length: 5 }, (_, i) => `${label}-${i}`);
    for (const [i, runId] of ids.entries()) {
      const cp = await processOn(storage, clock).load(NO_CLEANUPS, runId);
      if (i % 2 === 0) await complete(storage)(cp);
      clock.advance(1000);
    }
    const cutoff = clock.now();
    const pages: number[] = [];
    const completed = await allPages(async (cursor) => {
      const page = await listRuns(storage)({
        status: 'completed',
        updatedBefore: cutoff,
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(page.runs.length);
      return page;
    });
    const mine = completed.filter((r) => r.runId.startsWith(label));
    expect(mine.map((r) => r.runId)).toEqual([ids[0], ids[2], ids[4]]);
    expect(new Set(completed.map((r) => r.runId)).size).toBe(completed.length);
    expect(Math.max(...pages)).toBeLessThanOrEqual(2);
    const updated = completed.map((r) => r.updatedAt);
    expect(updated).toEqual([...updated].sort((a, b) => a - b));
    const running = await allPages((cursor) =>
      listRuns(storage)({ status: ['running'], updatedBefore: cutoff, ...(cursor ? { cursor } : {}) }),
    );
    expect(running.filter((r) => r.runId.startsWith(label)).map((r) => r.runId)).toEqual([ids[1], ids[3]]);
    const before = await allPages((cursor) =>
      listRuns(storage)({ updatedBefore: Date.UTC(1995, 0, 1) + 1500, ...(cursor ? { cursor } : {}) }),
    );
    expect(before.filter((r) => r.runId.startsWith(label)).map((r) => r.runId)).toEqual([ids[0], ids[1]]);
  });

  it('finds abandoned runs (running, lease expired) and recovers them by running their cleanups', async () => {
    const { storage } = harness();
    const clock = eraClock(1990);
    const label = uniqueRunId('abandoned');
    const undone: string[] = [];
    const registry = { undo: (p: Record<string, unknown>) => void undone.push(String(p.id)) };
    const abandoned = `${label}-dead`;
    const live = `${label}-live`;
    const done = `${label}-done`;
    // The dead process's clock stops with it: its lease keeper never fires on `clock.advance`.
    const dead = await processOn(storage, eraClock(1990)).load(registry, abandoned);
    await durable(storage)(dead)('s')({})(() => 1);
    await beforeRisky(storage)(dead)('undo')({ id: 'dead' });
    await complete(storage)(await processOn(storage, clock).load(registry, done));
    clock.advance(LEASE_MS * 2);
    await processOn(storage, clock).load(registry, live);
    const found = await allPages((cursor) =>
      findAbandoned(storage, { clock })({ limit: 1, ...(cursor ? { cursor } : {}) }),
    );
    expect(found.filter((r) => r.runId.startsWith(label)).map((r) => r.runId)).toEqual([abandoned]);
    const report = await recoverAbandoned(storage, { clock })(registry)({ limit: 1000 });
    expect(report.recovered.filter((r) => r.runId.startsWith(label))).toEqual([
      { runId: abandoned, cleanupsRun: ['undo'] },
    ]);
    expect(undone).toEqual(['dead']);
    const after = await storage.read(abandoned);
    expect(after?.run).toMatchObject({ status: 'compensated', owner: null });
    expect(after?.cleanups).toEqual([]);
    expect(after?.steps.map((s) => s.name)).toEqual(['s']);
    // A compensated run is not completed: the host may retry it and it starts over cleanly.
    const retry = await processOn(storage, clock).load(registry, abandoned);
    expect(retry).toMatchObject({ status: 'running', attempt: 3, cleanupsRun: [] });
    expect((await storage.read(live))?.run.status).toBe('running');
  });

  it('purges completed runs older than a cutoff or a TTL, and only those', async () => {
    const { storage, raw } = harness();
    const clock = eraClock(1996);
    const label = uniqueRunId('purge');
    const old = `${label}-old`;
    const oldRunning = `${label}-old-running`;
    const recent = `${label}-recent`;
    const cp = await processOn(storage, clock).load(NO_CLEANUPS, old);
    await durable(storage)(cp)('s')({})(() => 'x');
    await complete(storage)(cp);
    await processOn(storage, clock).load(NO_CLEANUPS, oldRunning);
    clock.advance(86_400_000);
    await complete(storage)(await processOn(storage, clock).load(NO_CLEANUPS, recent));
    const purged = await purgeRuns(storage, { clock })({ olderThanMs: 3_600_000, batch: 1 });
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await storage.read(old)).toBeUndefined();
    expect(await raw.readRun(old)).toBeUndefined();
    expect((await storage.read(oldRunning))?.run.status).toBe('running');
    expect((await storage.read(recent))?.run.status).toBe('completed');
    const fresh = await processOn(storage, clock).load(NO_CLEANUPS, old);
    expect(fresh.attempt).toBe(1);
    expect(
      await purgeRuns(storage, { clock })({ before: clock.now() + 1, statuses: ['running'] }),
    ).toBeGreaterThan(0);
    expect(await storage.read(oldRunning)).toBeUndefined();
  });
};
