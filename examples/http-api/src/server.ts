/**
 * An idempotent payments API: `npm start` (DATABASE_URL: a Postgres; PORT: default 3000).
 *
 *   curl -i -X POST localhost:3000/payments -H 'Idempotency-Key: k1' -d '{"amount":10,"card":"4242424242424242"}'
 *
 * The same request again is answered from storage (`Idempotent-Replayed: true`); the same key with
 * another body gets 422; a duplicate while the first runs gets 409 with a Retry-After. Kill the
 * server in the middle of a charge (`kill -9`), start it again, and send the request again: it
 * resumes, and the card is charged once.
 */
import { serve } from '@hono/node-server';
import { purgeRuns } from '@td7x/durable-x';
import { type IdempotencyEnv, idempotency } from '@td7x/durable-x-http/hono';
import { migrate, pgExecute, postgresStorage } from '@td7x/durable-x-postgres';
import { Hono } from 'hono';
import pg from 'pg';
import { paymentProvider } from './psp.ts';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  connectionTimeoutMillis: 5_000,
  query_timeout: 10_000,
});
pool.on('error', (e) => console.error('postgres:', e.message));
await migrate(pgExecute(pool));
const storage = postgresStorage({ pool });
const psp = await paymentProvider(pool);

interface Order {
  readonly amount: number;
  readonly card: string;
}

const app = new Hono<IdempotencyEnv>();

app.get('/health', (c) => c.text('ok'));

app.post(
  '/payments',
  // A short lease: a request whose server died is taken over 10 s later (the default is 30 s).
  idempotency({ storage, leaseMs: Number(process.env.LEASE_MS ?? 10_000) }),
  async (c) => {
    const order = await c.req.json<Order>();
    if (!Number.isInteger(order.amount) || order.amount <= 0 || typeof order.card !== 'string') {
      return c.json({ error: 'amount (a positive integer) and card are required' }, 400); // stored too
    }
    const { step } = c.var.idempotency;
    const charge = await step('charge')(order)(({ idempotencyKey }) => psp.charge(order, { idempotencyKey }));
    if (charge.status === 'declined') return c.json({ error: 'card declined', reason: charge.reason }, 402);
    const receipt = await step('receipt')({ chargeId: charge.id })(() => ({
      receiptId: `rc_${charge.id}`,
      at: new Date().toISOString(),
    }));
    return c.json({ chargeId: charge.id, ...receipt }, 201);
  },
);

// Keys are honoured for 24 hours: purge older completed runs every hour.
const purge = () =>
  purgeRuns(storage)({ olderThanMs: 24 * 3600_000 }).catch((e: unknown) => console.error('purge:', e));
setInterval(purge, 3600_000).unref();

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) =>
  console.log(`listening on http://localhost:${info.port}`),
);
const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
