import Fastify from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { idempotency, idempotentRun } from '../src/fastify.ts';
import { freshStorage, gate, latch } from './support/server.ts';

/** The Fastify hooks behind Fastify's own HTTP server, on the shared Postgres. */
interface Order {
  readonly amount: number;
  readonly card: string;
}

let db: Awaited<ReturnType<typeof freshStorage>>;
const app = Fastify();
let base = '';
const charges: Order[] = [];
let hold = gate();
const charging = latch();
let failOnce = false;

beforeAll(async () => {
  db = await freshStorage('fastify');
  app.post('/payments', { ...idempotency({ storage: db.storage }) }, async (request, reply) => {
    const order = request.body as Order;
    const { step } = idempotentRun(request);
    const charge = await step('charge')(order)(async () => {
      charging.signal();
      await hold.wait();
      charges.push(order);
      return order.card === 'declined'
        ? { declined: true as const }
        : { declined: false as const, id: `ch_${charges.length}` };
    });
    if (charge.declined) return reply.code(402).send({ error: 'card declined' });
    await step('receipt')({ id: charge.id })(() => {
      if (failOnce) {
        failOnce = false;
        throw new Error('mailer down');
      }
    });
    reply.header('set-cookie', 'session=secret');
    return reply.code(201).send({ chargeId: charge.id });
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await db?.close();
});

let keys = 0;
const newKey = () => `fastify-${process.pid}-${++keys}`;
const pay = (key: string | undefined, body: unknown) =>
  fetch(`${base}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify(body),
  });

it('replays a later duplicate (without the cookie), refuses the key reused with another body', async () => {
  hold = gate();
  hold.open();
  const key = newKey();
  const first = await pay(key, { amount: 10, card: '4242' });
  expect(first.status).toBe(201);
  expect(first.headers.get('set-cookie')).toBe('session=secret');
  const before = charges.length;
  // The same JSON with its keys in another order is the same request.
  const again = await pay(key, { card: '4242', amount: 10 });
  expect(again.status).toBe(201);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.headers.get('set-cookie')).toBeNull();
  expect(again.headers.get('content-type')).toMatch(/application\/json/);
  expect(await again.json()).toEqual({ chargeId: `ch_${before}` });
  expect((await pay(key, { amount: 11, card: '4242' })).status).toBe(422);
  expect(charges.length).toBe(before);
});

it('stores a 402, does not store a 500: the retry skips the charge that finished', async () => {
  hold = gate();
  hold.open();
  const declined = newKey();
  expect((await pay(declined, { amount: 5, card: 'declined' })).status).toBe(402);
  const before = charges.length;
  const replayed = await pay(declined, { amount: 5, card: 'declined' });
  expect(replayed.status).toBe(402);
  expect(replayed.headers.get('idempotent-replayed')).toBe('true');

  const key = newKey();
  failOnce = true;
  expect((await pay(key, { amount: 7, card: '4242' })).status).toBe(500);
  const retry = await pay(key, { amount: 7, card: '4242' });
  expect(retry.status).toBe(201);
  expect(retry.headers.get('idempotent-replayed')).toBeNull();
  expect(charges.length).toBe(before + 1);
});

it('answers a concurrent duplicate 409 with Retry-After 1, and one without a key 400', async () => {
  hold = gate();
  const key = newKey();
  const started = charging.next();
  const first = pay(key, { amount: 9, card: '4242' });
  await started;
  const duplicate = await pay(key, { amount: 9, card: '4242' });
  expect(duplicate.status).toBe(409);
  expect(duplicate.headers.get('retry-after')).toBe('1');
  expect(duplicate.headers.get('content-type')).toBe('application/problem+json');
  hold.open();
  expect((await first).status).toBe(201);
  expect((await pay(undefined, { amount: 1, card: '4242' })).status).toBe(400);
});
