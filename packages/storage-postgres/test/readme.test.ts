import { type Checkpoint, complete, DurableXError, durable, fail, load } from '@td7x/durable-x';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../src/index.ts';
import { freshSchema, newPool } from './support/db.ts';

/** The README's quick start, as written there (fake payment provider and mailer). */
let db: Awaited<ReturnType<typeof freshSchema>>;
let pool: pg.Pool;
beforeAll(async () => {
  db = await freshSchema('readme');
  pool = newPool();
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

interface Order {
  amount: number;
  card: string;
  email: string;
}
let gate: Promise<void> = Promise.resolve();
let charging: () => void = () => {};
const charges: Order[] = [];
const psp = {
  charge: async (amount: number, card: string) => {
    charging();
    await gate;
    charges.push({ amount, card, email: '' });
    return { id: `ch_${charges.length}` };
  },
};
const mailer = { receipt: async (_email: string, chargeId: string) => ({ id: `rc_${chargeId}` }) };

const handler = (storage: ReturnType<typeof postgresStorage>) =>
  // --- README quick start, from here ---
  async function handlePayment(idempotencyKey: string, order: Order) {
    let cp: Checkpoint;
    try {
      cp = await load(storage)({})(`payment:${idempotencyKey}`);
    } catch (e) {
      if (e instanceof DurableXError && e.error.type === 'RunBusy') {
        return { status: 409, body: { retryAfterMs: e.error.leaseExpiresAt - Date.now() } };
      }
      throw e;
    }
    const step = durable(storage)(cp);
    try {
      const charge = await step('charge')(order)(() => psp.charge(order.amount, order.card));
      const receipt = await step('receipt')({ chargeId: charge.id })(() =>
        mailer.receipt(order.email, charge.id),
      );
      await complete(storage)(cp);
      return { status: 201, body: { chargeId: charge.id, receiptId: receipt.id } };
    } catch (e) {
      await fail(storage)(cp)(e).catch(() => {}); // releases the key at once; memoized steps stay
      throw e;
    }
  };
// --- to here ---

describe('README quick start: an idempotent API endpoint', () => {
  it('runs once; a concurrent duplicate gets 409; a later duplicate replays the stored result', async () => {
    const handlePayment = handler(postgresStorage({ pool, schema: db.schema }));
    const order = { amount: 4200, card: 'tok_visa', email: 'a@example.com' };
    let open: () => void = () => {};
    gate = new Promise((resolve) => {
      open = resolve;
    });

    const inCharge = new Promise<void>((resolve) => {
      charging = resolve;
    });
    const first = handlePayment('key-1', order);
    await inCharge; // the first request holds the run and is inside the charge
    const concurrent = await handlePayment('key-1', order);
    expect(concurrent.status).toBe(409);
    expect(concurrent.body).toMatchObject({ retryAfterMs: expect.any(Number) });

    open();
    const done = await first;
    expect(done).toEqual({ status: 201, body: { chargeId: 'ch_1', receiptId: 'rc_ch_1' } });

    const later = await handlePayment('key-1', order);
    expect(later).toEqual(done);
    expect(charges).toHaveLength(1);
  });
});
