import type { ListQuery, RunHead, Storage } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { era, LEASE_MS, type SuiteContext, uniqueRunId } from '../context.ts';
import { claimAs } from '../direct.ts';

/** Only the runs of one era (and of one test, by id prefix), however many pages it takes. */
const listEra = async (
  storage: Storage,
  year: number,
  label: string,
  query: Omit<ListQuery, 'limit' | 'after'> & { limit?: number } = {},
): Promise<RunHead[]> => {
  const limit = query.limit ?? 1000;
  const runs: RunHead[] = [];
  let after: ListQuery['after'] = { updatedAt: era(year) - 1, runId: label };
  for (let page = 0; page < 1000; page++) {
    const heads = await storage.list({ updatedBefore: era(year + 1), ...query, limit, after });
    expect(heads.length, `list returns at most limit (${limit}) runs`).toBeLessThanOrEqual(limit);
    runs.push(...heads.filter((h) => h.runId.startsWith(label)));
    const last = heads.at(-1);
    if (last === undefined || heads.length < limit) return runs;
    after = { updatedAt: last.updatedAt, runId: last.runId };
  }
  return expect.fail('list kept answering full pages: does `after` move forward?');
};

const ids = (heads: readonly RunHead[]) => heads.map((h) => h.runId);

/** `list`, called directly: order by (updatedAt, runId), cursors, limit and each filter's boundary. */
export const listingSuite = ({ harness }: SuiteContext) => {
  it('orders runs by (updatedAt, runId): runs that tie on updatedAt come in binary order of their ids', async () => {
    const { storage } = harness();
    const year = 1980;
    const at = era(year) + 1_000;
    const label = uniqueRunId('ties');
    // Created out of order; ASCII ids, so every binary order (UTF-8 bytes, UTF-16 units) agrees:
    // upper case before lower case, which a case-insensitive collation would get wrong.
    const older = `${label}/z-older`;
    const newer = `${label}/0-newer`;
    const tied = ['b', 'B', '~', 'a', '_', 'A0', 'a0'].map((s) => `${label}/${s}`);
    await claimAs(storage, newer, 'a', at + 1);
    for (const runId of tied) await claimAs(storage, runId, 'a', at);
    await claimAs(storage, older, 'a', at - 1);
    const expected = [older, ...[...tied].sort(), newer];
    expect(
      ids(await listEra(storage, year, label)),
      'list orders by (updatedAt, runId) ascending; ids of a tie in binary order',
    ).toEqual(expected);
    expect(
      ids(await storage.list({ after: { updatedAt: era(year) - 1, runId: '' }, limit: 3 })),
      'list returns at most limit runs, the oldest first',
    ).toEqual(expected.slice(0, 3));
  });

  it('continues a page exactly where the last ended, inside an updatedAt tie of hostile ids too', async () => {
    const { storage } = harness();
    const year = 1981;
    const at = era(year) + 1_000;
    const label = uniqueRunId('cursor');
    // Pairs whose order differs between UTF-8 bytes and UTF-16 units (U+FF5E vs U+1F680), a
    // precomposed and a decomposed é, case, and characters that break naive key building.
    const suffixes = [
      'a',
      'B',
      'é',
      'e\u0301',
      '🚀',
      '\uff5e',
      '\u007f',
      ' ',
      '%',
      '/',
      '#',
      "'",
      '"',
      'Ω',
      '\\',
    ];
    const tied = suffixes.map((s) => `${label}/${s}`);
    for (const runId of [...tied].reverse()) await claimAs(storage, runId, 'a', at);
    await claimAs(storage, `${label}/older`, 'a', at - 1);
    await claimAs(storage, `${label}/newer-1`, 'a', at + 1);
    await claimAs(storage, `${label}/newer-2`, 'a', at + 1);
    const all = await listEra(storage, year, label);
    expect(new Set(ids(all)), 'one page lists every run once').toEqual(
      new Set([...tied, `${label}/older`, `${label}/newer-1`, `${label}/newer-2`]),
    );
    expect(all.length, 'one page lists every run once').toBe(tied.length + 3);
    const times = all.map((h) => h.updatedAt);
    expect(times, 'list orders by updatedAt first').toEqual([...times].sort((x, y) => x - y));
    for (const limit of [1, 2, 3]) {
      expect(
        ids(await listEra(storage, year, label, { limit })),
        `pages of ${limit}: after continues exactly where a page ended (a tie is neither skipped nor repeated), in the same order as one page`,
      ).toEqual(ids(all));
    }
  });

  it('filters by status, updatedAt < updatedBefore (strict) and leaseExpiresAt <= leaseExpiredAt (inclusive)', async () => {
    const { storage } = harness();
    const year = 1982;
    const at = era(year) + 1_000;
    const label = uniqueRunId('filters');
    const [running, completed, suspended] = ['running', 'completed', 'suspended'].map(
      (s) => `${label}/${s}`,
    ) as [string, string, string];
    for (const runId of [running, completed, suspended]) await claimAs(storage, runId, 'a', at);
    await storage.finish({
      runId: completed,
      owner: 'a',
      status: 'completed',
      at: at + 1,
      error: null,
      dropCleanups: true,
    });
    await storage.suspend({ runId: suspended, owner: 'a', at: at + 2, wakeAt: at + 100 });
    const list = (query: Omit<ListQuery, 'limit' | 'after'>) =>
      listEra(storage, year, label, query).then(ids);
    expect(
      await list({ updatedBefore: at + 1 }),
      'updatedBefore is strict: updatedAt === updatedBefore is left out',
    ).toEqual([running]);
    expect(await list({ updatedBefore: at + 2 }), 'updatedBefore: updatedAt < updatedBefore').toEqual([
      running,
      completed,
    ]);
    expect(await list({ statuses: ['completed'] }), 'statuses: only runs whose status is listed').toEqual([
      completed,
    ]);
    expect(
      await list({ statuses: ['running', 'suspended'] }),
      'statuses: only runs whose status is listed',
    ).toEqual([running, suspended]);
    expect(
      await list({ statuses: ['suspended'], leaseExpiredAt: at + 100 }),
      'leaseExpiredAt is inclusive: a wake time equal to it is due',
    ).toEqual([suspended]);
    expect(
      await list({ statuses: ['suspended'], leaseExpiredAt: at + 99 }),
      'leaseExpiredAt: not due before its wake time',
    ).toEqual([]);
    expect(
      await list({ statuses: ['running'], leaseExpiredAt: at + LEASE_MS }),
      'leaseExpiredAt is inclusive: a lease ending exactly then has expired',
    ).toEqual([running]);
    expect(
      await list({ statuses: ['running'], leaseExpiredAt: at + LEASE_MS - 1 }),
      'leaseExpiredAt: a live lease is left out',
    ).toEqual([]);
  });

  it('pages the due suspended runs exactly, small pages among many due and many sleeping', async () => {
    const { storage } = harness();
    const year = 1984;
    const label = uniqueRunId('due');
    const now = era(year) + 500_000;
    const due: string[] = [];
    // 30 runs suspended one ms apart; two in three are due at `now`, the others sleep on.
    for (let i = 0; i < 30; i++) {
      const runId = `${label}/${String(i).padStart(2, '0')}`;
      const at = era(year) + 1_000 + i;
      await claimAs(storage, runId, 'a', at);
      const wakeAt = i % 3 === 2 ? now + 1 : now - i;
      await storage.suspend({ runId, owner: 'a', at, wakeAt });
      if (wakeAt <= now) due.push(runId);
    }
    const seen: string[] = [];
    let after: ListQuery['after'] = { updatedAt: era(year) - 1, runId: label };
    for (let page = 0; page < 100; page++) {
      const heads = await storage.list({ statuses: ['suspended'], leaseExpiredAt: now, limit: 2, after });
      expect(heads.length, 'list returns at most limit runs').toBeLessThanOrEqual(2);
      const last = heads.at(-1);
      seen.push(...heads.filter((h) => h.runId.startsWith(label)).map((h) => h.runId));
      if (last === undefined || last.updatedAt >= era(year + 1)) break;
      after = { updatedAt: last.updatedAt, runId: last.runId };
    }
    expect(seen, 'every due run once, oldest first, and no sleeping one, page after page of 2').toEqual(due);
  });
};
