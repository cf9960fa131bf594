import { readFileSync } from 'node:fs';
import { FOREVER } from '@td7x/durable-x';
import { useStandIn } from '@td7x/testing/windmill-client';
import { type StandIn, startStandIn } from '@td7x/testing/windmill-stand-in';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datatableStorage } from '../src/index.ts';
import { type FreshDatabase, freshDatabase } from './support/db.ts';

// The migration 0.1.0 shipped (src/migration/up.sql then), as a user applied it or 0.1's storage
// ran it on first use: its CHECK on runs.status knows neither `suspended` nor `cancelled`.
const previousUp = readFileSync(new URL('./fixtures/up-0.1.0.sql', import.meta.url), 'utf8');

let db: FreshDatabase;
let standIn: StandIn;
beforeAll(async () => {
  db = await freshDatabase('previous');
  await db.admin.query(previousUp);
  await db.admin.query(
    `INSERT INTO public.durable_x_runs VALUES ('old/1', 'failed', NULL, 0, 1, 10, 20, 'boom', 3)`,
  );
  standIn = await startStandIn({ datatables: { main: db.url } });
  useStandIn(standIn);
});
afterAll(async () => {
  await standIn?.close();
  await db?.drop();
});

const statusCheck = async (): Promise<string[]> =>
  (
    await db.admin.query(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conrelid = 'public.durable_x_runs'::regclass AND contype = 'c'`,
    )
  ).rows.map((r) => r.def);

describe('windmill storage on tables made by 0.1.0', () => {
  it('widens their status CHECK the first time a new status is refused, keeps their rows, then works', async () => {
    expect(await statusCheck()).toEqual([expect.not.stringContaining('suspended')]);
    const storage = datatableStorage();
    // A job's first operation succeeds on the old tables, so nothing is migrated yet.
    expect(await storage.claim({ runId: 'new/1', owner: 'a', now: 100, leaseMs: 1000 })).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
    });
    const before = standIn.requests();
    expect(await storage.suspend({ runId: 'new/1', owner: 'a', at: 101, wakeAt: FOREVER })).toEqual({
      kind: 'suspended',
      wakeAt: FOREVER,
    });
    // Refused by the old CHECK, migrate (one statement), sent again.
    expect(standIn.requests() - before).toBe(3);
    expect(await statusCheck()).toEqual([expect.stringContaining("'cancelled'")]);

    const after = standIn.requests();
    expect(await storage.cancel({ runId: 'old/1', at: 200 })).toMatchObject({
      kind: 'cancelled',
      run: { status: 'cancelled', attempt: 1, createdAt: 10, error: 'boom' },
    });
    expect(standIn.requests() - after).toBe(1);
    // Another job (a new instance) on the widened tables: one request per operation again.
    const other = datatableStorage();
    const first = standIn.requests();
    expect(await other.cancel({ runId: 'new/1', at: 300 })).toMatchObject({ kind: 'cancelled' });
    expect(standIn.requests() - first).toBe(1);
  });
});
