import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The example as its user runs it: `npm start` (node with tsx on src/server.ts) on a database of
 * its own, driven with real HTTP requests, killed with SIGKILL in the middle of a charge.
 */
const database = `dx_example_http_${process.pid}`;
const databaseUrl = () => {
  const url = new URL(process.env.TEST_POSTGRES_URL as string);
  url.pathname = `/${database}`;
  return url.href;
};
let admin: pg.Client;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
});
afterAll(async () => {
  for (const s of servers) s.kill('SIGKILL');
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

/** `npm start`, on a free port; resolves its base URL once it listens, and its output so far. */
const start = async (env: Record<string, string> = {}) => {
  const server = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', 'src/server.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, DATABASE_URL: databaseUrl(), PORT: '0', LEASE_MS: '2000', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(server);
  let out = '';
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => out.includes(text) && resolve();
      server.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        check();
      });
      server.once('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
      check();
    });
  await printed('listening on');
  const port = /listening on http:\/\/localhost:(\d+)/.exec(out)?.[1];
  return { server, base: `http://127.0.0.1:${port}`, printed };
};

const pay = (base: string, key: string, body: unknown) =>
  fetch(`${base}/payments`, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A client that honours 409's Retry-After, as the API tells its clients to. */
const payUntilAnswered = async (base: string, key: string, body: unknown) => {
  const waits: number[] = [];
  for (;;) {
    const response = await pay(base, key, body);
    if (response.status !== 409) return { response, waits };
    const seconds = Number(response.headers.get('retry-after'));
    waits.push(seconds);
    if (waits.length > 10) throw new Error(`still 409 after ${waits.join(', ')} s`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
};

/** The payment provider's charges, read from its table in the example's database. */
const charges = async (): Promise<number> => {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return (await client.query(`SELECT count(*)::int AS n FROM psp_charges`)).rows[0].n;
  } finally {
    await client.end();
  }
};

it('replays duplicates, refuses a reused key, stores a decline', async () => {
  const { base } = await start();
  const card = '4242424242424242';
  const first = await pay(base, 'order-1', { amount: 10, card });
  expect(first.status).toBe(201);
  const body = await first.json();
  const again = await pay(base, 'order-1', { amount: 10, card });
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(await again.json()).toEqual(body);
  expect((await pay(base, 'order-1', { amount: 99, card })).status).toBe(422);

  const declined = await pay(base, 'order-2', { amount: 10, card: '4000000000000002' });
  expect(declined.status).toBe(402);
  expect(
    (await pay(base, 'order-2', { amount: 10, card: '4000000000000002' })).headers.get('idempotent-replayed'),
  ).toBe('true');
});

it('a request whose server was killed mid-charge resumes on the restarted server: one charge', async () => {
  const pspCharges = await charges();
  const doomed = await start({ PSP_HANG: '1' });
  const order = { amount: 25, card: '5555555555554444' };
  const lost = pay(doomed.base, 'order-3', order).catch(() => 'connection lost');
  await doomed.printed('psp: charged 25');
  doomed.server.kill('SIGKILL');
  expect(await lost).toBe('connection lost');
  expect(await charges()).toBe(pspCharges + 1); // the card was charged; the API never knew

  const { base } = await start();
  const { response, waits } = await payUntilAnswered(base, 'order-3', order);
  expect(response.status).toBe(201);
  expect(waits.length).toBeGreaterThan(0); // the dead server's lease (2 s) had to run out first
  expect(waits.every((s) => s <= 2)).toBe(true);
  expect(await charges()).toBe(pspCharges + 1); // the retried charge step got the same charge back
  const again = await pay(base, 'order-3', order);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
});
