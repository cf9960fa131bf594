import type pg from 'pg';

/**
 * A payment provider, as far as this example needs one: it charges a card at most once per
 * idempotency key (as Stripe, Adyen and most providers do), and keeps its charges in a table of
 * its own so that they outlive a crash of the API. Cards: `4000…0002` is declined; with
 * `PSP_HANG=1` every charge is made but never answered (for the kill -9 demonstration).
 */
export const paymentProvider = async (pool: pg.Pool) => {
  await pool.query(`CREATE TABLE IF NOT EXISTS psp_charges (
    idempotency_key text PRIMARY KEY,
    id serial UNIQUE,
    amount integer NOT NULL,
    card text NOT NULL,
    status text NOT NULL
  )`);
  return {
    charge: async (
      order: { amount: number; card: string },
      options: { idempotencyKey: string },
    ): Promise<{ status: 'succeeded'; id: string } | { status: 'declined'; reason: string }> => {
      const status = order.card === '4000000000000002' ? 'declined' : 'succeeded';
      // The same key again (a retry after a crash) gets the first charge back, not a second one.
      const { rows } = await pool.query<{ id: number; status: string }>(
        `INSERT INTO psp_charges (idempotency_key, amount, card, status) VALUES ($1, $2, $3, $4)
         ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
         RETURNING id, status`,
        [options.idempotencyKey, order.amount, order.card, status],
      );
      const row = rows[0] as { id: number; status: string };
      console.log(
        `psp: ${row.status === 'declined' ? 'declined' : 'charged'} ${order.amount} (ch_${row.id})`,
      );
      // PSP_HANG=1: the card is charged, and the answer never comes back (kill the API now).
      if (process.env.PSP_HANG === '1') await new Promise(() => {});
      return row.status === 'declined'
        ? { status: 'declined', reason: 'insufficient funds' }
        : { status: 'succeeded', id: `ch_${row.id}` };
    },
  };
};
