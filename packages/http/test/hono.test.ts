import { describeRun, inspectRun, manualClock } from '@td7x/durable-x';
import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idempotency as idempotencyEngine } from '../src/engine.ts';
import { type IdempotencyEnv, idempotency } from '../src/hono.ts';
import { freshStorage, gate, killable, latch, listen, until } from './support/server.ts';

/**
 * The middleware behind a real HTTP server (Node's, through @hono/node-server) on the shared
 * Postgres: every request below is a real request over loopback.
 */
interface Order {
  readonly amount: number;
  readonly card: string;
}

let db: Awaited<ReturnType<typeof freshStorage>>;
let server: Awaited<ReturnType<typeof listen>>;
const clock = manualClock(Date.now());
const charges: Order[] = [];
let hold = gate();
const charging = latch();
let failMailerOnce = false;
let mailed = 0;

const psp = {
  charge: async (order: Order) => {
    charging.signal();
    await hold.wait();
    charges.push(order);
    if (order.card === 'declined') return { declined: true as const, reason: 'insufficient funds' };
    return { declined: false as const, id: `ch_${charges.length}` };
  },
};

beforeAll(async () => {
  db = await freshStorage('hono');
  const app = new Hono<IdempotencyEnv>();
  app.use('/payments', idempotency({ storage: db.storage, clock, scope: (c) => c.req.header('x-user') }));
  app.post('/payments', async (c) => {
    const order = await c.req.json<Order>();
    const { step } = c.var.idempotency;
    // A decline is a value the step returns (and memoizes), not an exception.
    const charge = await step('charge')(order)(() => psp.charge(order));
    if (charge.declined) return c.json({ error: 'card declined', reason: charge.reason }, 402);
    await step('receipt')({ chargeId: charge.id })(() => {
      if (failMailerOnce) {
        failMailerOnce = false;
        throw new Error('mailer down');
      }
      mailed++;
    });
    c.header('set-cookie', 'session=secret');
    c.header('location', `/payments/${charge.id}`);
    return c.json({ chargeId: charge.id }, 201);
  });
  server = await listen(app as never);
});
afterAll(async () => {
  await server?.close();
  await db?.close();
});
beforeEach(() => {
  hold = gate();
  hold.open();
});

let keys = 0;
const newKey = () => `key-${process.pid}-${++keys}`;

const pay = (key: string | undefined, order: Order, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/payments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    body: JSON.stringify(order),
  });

const order = (amount: number, card = '4242'): Order => ({ amount, card });

describe('a later duplicate', () => {
  it('gets the stored response, with the replay header, and charges nothing', async () => {
    const key = newKey();
    const first = await pay(key, order(10));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const body = await first.json();
    const before = charges.length;

    const again = await pay(key, order(10));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    // A replay must not hand the first caller's cookie to whoever holds the key.
    expect(first.headers.get('set-cookie')).toBe('session=secret');
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(charges.length).toBe(before);
  });

  it('of a declined payment gets the stored 402, and the card is not charged again', async () => {
    const key = newKey();
    const first = await pay(key, order(99, 'declined'));
    expect(first.status).toBe(402);
    const before = charges.length;
    const again = await pay(key, order(99, 'declined'));
    expect(again.status).toBe(402);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ error: 'card declined', reason: 'insufficient funds' });
    expect(charges.length).toBe(before);
  });

  it('after a server error runs the handler again, skipping the charge that finished', async () => {
    const key = newKey();
    failMailerOnce = true;
    const first = await pay(key, order(20));
    expect(first.status).toBe(500);
    const charged = charges.length;
    const mails = mailed;
    const retry = await pay(key, order(20));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(charges.length).toBe(charged);
    expect(mailed).toBe(mails + 1);
  });
});

describe('the same key for another request', () => {
  it('is refused with 422 once the first is done, whatever differs: body, path or method', async () => {
    const key = newKey();
    expect((await pay(key, order(30))).status).toBe(201);
    const before = charges.length;
    const otherBody = await pay(key, order(31));
    expect(otherBody.status).toBe(422);
    expect(otherBody.headers.get('content-type')).toBe('application/problem+json');
    expect((await otherBody.json()).title).toBe('Idempotency-Key reused');
    const otherQuery = await fetch(`${server.url}/payments?dry=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(order(30)),
    });
    expect(otherQuery.status).toBe(422);
    expect(charges.length).toBe(before);
    // The original is still replayed.
    expect((await pay(key, order(30))).status).toBe(201);
  });

  it('is refused with 422 while the first is still running', async () => {
    const key = newKey();
    hold = gate();
    const started = charging.next();
    const first = pay(key, order(40));
    await started;
    const other = await pay(key, order(41));
    expect(other.status).toBe(422);
    hold.open();
    expect((await first).status).toBe(201);
  });
});

describe('concurrent duplicates', () => {
  it('get 409 with a short Retry-After while the first works, and the charge happens once', async () => {
    const key = newKey();
    hold = gate();
    const before = charges.length;
    const started = charging.next();
    const first = pay(key, order(50));
    await started;
    const duplicates = await Promise.all(Array.from({ length: 8 }, () => pay(key, order(50))));
    for (const d of duplicates) {
      expect(d.status).toBe(409);
      expect(d.headers.get('content-type')).toBe('application/problem+json');
      // Not the 30 s lease: the first request is at work and should be done within a second.
      expect(d.headers.get('retry-after')).toBe('1');
    }
    hold.open();
    expect((await first).status).toBe(201);
    const after = await pay(key, order(50));
    expect(after.status).toBe(201);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(charges.length).toBe(before + 1);
  });

  it('get Retry-After 1, not the lease, while the first renews its lease inside a long step', async () => {
    const key = newKey();
    hold = gate();
    const started = charging.next();
    const first = pay(key, order(60));
    await started;
    const renewedAt = clock.now() + 10_000;
    clock.advance(12_000); // the step renews the lease at +10 s: the holder is alive
    await until(
      async () => (await inspectRun(db.storage)(`idempotency:${key}`))?.run.updatedAt === renewedAt,
    );
    const late = await pay(key, order(60));
    expect(late.status).toBe(409);
    expect(late.headers.get('retry-after')).toBe('1'); // its lease would say 28
    hold.open();
    expect((await first).status).toBe(201);
  });

  it('of a request whose process died get the lease left, then take the key over when it ends', async () => {
    const key = newKey();
    const body = JSON.stringify(order(65));
    // A process admitted the request and died before its handler wrote anything: from then on
    // nothing it does (its lease renewal included) reaches the database.
    const doomed = killable(db.storage);
    const dead = await idempotencyEngine({ storage: doomed.storage, clock }).admit({
      key,
      method: 'POST',
      path: '/payments',
      body: new TextEncoder().encode(body),
    });
    expect(dead.kind).toBe('run');
    doomed.kill();
    const asked = await pay(key, order(65));
    expect(asked.status).toBe(409);
    expect(asked.headers.get('retry-after')).toBe('1'); // just started: it may well be at work
    clock.advance(12_000); // silent for more than a renewal period (30 s / 3)
    const later = await pay(key, order(65));
    expect(later.status).toBe(409);
    expect(later.headers.get('retry-after')).toBe('18'); // the lease's end: 30 s after it began
    clock.advance(18_000);
    const taken = await pay(key, order(65));
    expect(taken.status).toBe(201);
    expect(taken.headers.get('idempotent-replayed')).toBeNull();
  });

  it('all race in at once: exactly one runs, the others are told to retry, none charges twice', async () => {
    const key = newKey();
    const before = charges.length;
    const answers = await Promise.all(Array.from({ length: 12 }, () => pay(key, order(70))));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(answers.filter((a) => a.status === 201 && !a.headers.get('idempotent-replayed')).length).toBe(1);
    expect(charges.length).toBe(before + 1);
  });
});

describe('keys', () => {
  it('a request without a key, or with a malformed one, is refused with 400 before anything runs', async () => {
    const before = charges.length;
    const none = await pay(undefined, order(1));
    expect(none.status).toBe(400);
    expect((await none.json()).title).toBe('Invalid Idempotency-Key');
    expect((await pay('x'.repeat(201), order(1))).status).toBe(400);
    expect((await pay('caf\u00e9', order(1))).status).toBe(400);
    expect(charges.length).toBe(before);
  });

  it('a quoted key (a structured-field string) is the same key as the bare one', async () => {
    const key = newKey();
    expect((await pay(key, order(80))).status).toBe(201);
    const quoted = await pay(`"${key}"`, order(80));
    expect(quoted.headers.get('idempotent-replayed')).toBe('true');
  });

  it('the same key from two scopes (users) is two requests: no one replays another user’s response', async () => {
    const key = newKey();
    const before = charges.length;
    const alice = await pay(key, order(90), { 'x-user': 'alice' });
    const bob = await pay(key, order(90), { 'x-user': 'bob' });
    expect(alice.status).toBe(201);
    expect(bob.status).toBe(201);
    expect(bob.headers.get('idempotent-replayed')).toBeNull();
    expect(charges.length).toBe(before + 2);
  });

  it('the run id is the namespace and the key; the request and the response are its two records', async () => {
    const key = newKey();
    await pay(key, order(5));
    const run = await describeRun(db.storage)(`idempotency:${key}`);
    expect(run?.run.status).toBe('completed');
    expect(run?.steps.map((s) => s.name)).toEqual(['http.request', 'charge', 'receipt', 'http.response']);
  });
});
