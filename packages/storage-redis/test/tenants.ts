import { RUN_STATUSES, type Storage } from '@td7x/durable-x';
import { expect } from 'vitest';
import { type RedisCommands, redisStorage } from '../src/index.ts';

/**
 * Prefixes that are prefixes of one another, the empty one included: each is one tenant. A key
 * is `<prefix>{<bucket>}:…` and no prefix holds a brace, so the first `{` of a key ends its
 * prefix: no key (and no index entry, which lives in a key) can belong to two tenants.
 */
export const TENANT_PREFIXES = ['', 'a', 'a:', 'ab', 'a:b', 'a:b:', ':', 'ü', 'dx:'] as const;

/** Run ids every tenant uses, hostile ones included. */
const RUN_IDS = ['r1', 'r2', 'shared/{x}:head'] as const;

const T0 = Date.UTC(2026, 0, 1);

/**
 * Fills every tenant with the same run ids in states of its own, then checks that each one
 * reads, lists, claims and purges only its own runs, and that every key in the namespace belongs
 * to exactly one tenant. `keys` lists the namespace's keys as the scripts name them (without a
 * client-side keyPrefix).
 */
export const checkTenantsApart = async (
  client: RedisCommands,
  keys: () => Promise<string[]>,
  buckets = 16,
): Promise<void> => {
  const tenants = TENANT_PREFIXES.map((prefix, t) => ({
    prefix,
    t,
    storage: redisStorage({ client, prefix, buckets }),
  }));
  for (const { storage, t } of tenants) {
    for (const [i, runId] of RUN_IDS.entries()) {
      const owner = `owner-${t}`;
      await storage.claim({ runId, owner, now: T0 + t, leaseMs: 30_000 });
      await storage.putStep({
        runId,
        owner,
        record: { key: 's#1', name: 's', seq: 1, output: `${t}`, at: T0 },
      });
      // Tenant t completes its run i when i + t is even: statuses differ between tenants.
      if ((i + t) % 2 === 0) {
        await storage.finish({
          runId,
          owner,
          status: 'completed',
          at: T0 + t,
          error: null,
          dropCleanups: true,
        });
      }
    }
  }
  const expectOwn = async ({ storage, t }: { storage: Storage; t: number }) => {
    for (const [i, runId] of RUN_IDS.entries()) {
      const run = await storage.read(runId);
      expect(run?.steps.map((s) => s.output)).toEqual([`${t}`]);
      expect(run?.run.status).toBe((i + t) % 2 === 0 ? 'completed' : 'running');
    }
    const listed = await storage.list({ limit: 100 });
    expect(listed.map((h) => h.runId).sort()).toEqual([...RUN_IDS].sort());
    expect(listed.every((h) => h.updatedAt === T0 + t)).toBe(true);
  };
  for (const tenant of tenants) await expectOwn(tenant);

  // A claim sees its own tenant's head only: busy with that tenant's owner, or completed.
  for (const { storage, t } of tenants) {
    const other = await storage.claim({ runId: 'r2', owner: `new-${t}`, now: T0 + 10, leaseMs: 30_000 });
    if ((1 + t) % 2 === 0) expect(other.kind).toBe('completed');
    else expect(other).toMatchObject({ kind: 'busy', run: { owner: `owner-${t}` } });
  }

  // Every key belongs to exactly one tenant: the one whose prefix ends at the key's first brace.
  const all = await keys();
  const perTenant = new Map<string, number>();
  for (const key of all) {
    const owners = TENANT_PREFIXES.filter((p) => key.startsWith(`${p}{`));
    expect(owners, key).toHaveLength(1);
    const prefix = owners[0] as string;
    expect(key.indexOf('{')).toBe(prefix.length);
    perTenant.set(prefix, (perTenant.get(prefix) ?? 0) + 1);
  }
  expect([...perTenant.keys()].sort()).toEqual([...TENANT_PREFIXES].sort());
  expect(new Set(perTenant.values()).size).toBeLessThanOrEqual(2); // same runs, two shapes of statuses

  // Purging everything of the empty prefix deletes its three runs and nothing of the others.
  const [empty, ...others] = tenants;
  expect(
    await empty!.storage.purge({
      statuses: [...RUN_STATUSES],
      updatedBefore: Number.MAX_SAFE_INTEGER,
      limit: 100,
    }),
  ).toBe(RUN_IDS.length);
  expect(await empty!.storage.list({ limit: 100 })).toEqual([]);
  for (const tenant of others) await expectOwn(tenant);
  const left = await keys();
  expect(left.filter((k) => k.startsWith('{'))).toEqual([]);
  expect(left).toHaveLength(all.length - (perTenant.get('') ?? 0));
};
