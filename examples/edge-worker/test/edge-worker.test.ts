import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueKeyPrefix } from '@td7x/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker } from '../local/bundle.ts';
import { startMiniflare } from '../local/miniflare.ts';
import { type Payments, startPayments } from '../local/payments.ts';
import { startUpstashBridge, type UpstashBridge } from '../local/upstash-bridge.ts';
import { startWorkerd } from '../local/workerd.ts';

/**
 * The worker, bundled as for deployment, in the real workerd; its `@upstash/redis` client talks to
 * the loopback Upstash REST bridge in front of the shared real Redis. A crash is a SIGKILL of the
 * workerd process while a request waits inside the `charge` step; the next requests run in a new
 * workerd process.
 */
const TOKEN = 'edge-worker-test-token';
// Short, so that the dead request's lease ends soon; the test waits for the time the worker reports.
const LEASE_MS = 1_500;

let bundle: string;
let bridge: UpstashBridge;
let payments: Payments;
let redis: Redis;
const prefix = uniqueKeyPrefix('edge-worker');

beforeAll(async () => {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: the global setup did not run');
  bundle = join(mkdtempSync(join(tmpdir(), 'dx-edge-bundle-')), 'worker.js');
  [, bridge, payments] = await Promise.all([
    bundleWorker(bundle),
    startUpstashBridge({ redisUrl: url, token: TOKEN }),
    startPayments(),
  ]);
  redis = new Redis(url);
});

afterAll(async () => {
  const keys = await redis?.keys(`${prefix}*`);
  if (keys?.length) await redis.del(...keys);
  await Promise.all([bridge?.close(), payments?.close(), redis?.quit()]);
  if (bundle) rmSync(dirname(bundle), { recursive: true, force: true });
});

const bindings = () => ({
  UPSTASH_REDIS_REST_URL: bridge.url,
  UPSTASH_REDIS_REST_TOKEN: TOKEN,
  PAYMENTS_URL: payments.url,
  KEY_PREFIX: prefix,
  LEASE_MS: String(LEASE_MS),
});

const order = (base: string, orderId: string) => fetch(`${base}/orders/${orderId}`, { method: 'POST' });

const variants = [
  {
    flags: [],
    // No `process` at all: the core falls back to its synchronous context.
    runtime: { process: false, getBuiltinModule: false, asyncLocalStorage: false },
  },
  {
    flags: ['nodejs_compat'],
    runtime: { process: true, getBuiltinModule: true, asyncLocalStorage: true },
  },
] as const;

describe.each(variants)('the edge worker on workerd, compatibility flags $flags', ({ flags, runtime }) => {
  const start = () => startWorkerd({ bundle, bindings: bindings(), compatibilityFlags: flags });

  it('reports what the core finds of an async context', async () => {
    const workerd = await start();
    try {
      expect(await (await fetch(`${workerd.url}/runtime`)).json()).toEqual(runtime);
    } finally {
      await workerd.kill();
    }
  });

  it('a crash across requests resumes: the pending refund runs, the reservation is memoized, the charge runs again', async () => {
    const orderId = `order-${flags.length}-${Date.now()}`;
    const callsSince = (n: number) => payments.calls().slice(n);

    // Request 1 reserves, registers the refund, and dies inside the charge with its process.
    const first = await start();
    const charging = payments.hold('charge');
    const dying = order(first.url, orderId).then(
      (response) => `answered ${response.status}`,
      () => 'no answer',
    );
    await charging;
    await first.kill();
    expect(await dying).toBe('no answer');
    expect(payments.calls()).toEqual(expect.arrayContaining([`reserve:${orderId}`, `charge:${orderId}`]));
    const beforeResume = payments.calls().length;

    // Request 2, in a new process, finds the dead request's lease still live.
    const second = await start();
    try {
      const busy = await order(second.url, orderId);
      expect(busy.status).toBe(409);
      const { error, leaseExpiresAt } = (await busy.json()) as { error: string; leaseExpiresAt: number };
      expect(error).toBe('RunBusy');
      expect(callsSince(beforeResume)).toEqual([]);

      // Request 3, once that lease has ended (the time the worker answered): the resume.
      await sleep(Math.max(0, leaseExpiresAt - Date.now()) + 50);
      const resumed = await order(second.url, orderId);
      expect(resumed.status).toBe(200);
      const body = (await resumed.json()) as { result: unknown; events: string[] };
      expect(body.result).toEqual({ orderId, reservation: expect.any(String), charge: expect.any(String) });
      expect(callsSince(beforeResume)).toEqual([`refund:${orderId}`, `charge:${orderId}`]);
      expect(body.events).toEqual(
        expect.arrayContaining(['cleanup.ran:refund', 'step.skipped:reserve', 'step.ran:charge']),
      );
      expect(body.events).not.toContain('step.ran:reserve');

      // Request 4: the order is complete; it replays the stored result and calls nothing.
      const beforeReplay = payments.calls().length;
      const replay = await order(second.url, orderId);
      expect(await replay.json()).toMatchObject({ result: body.result });
      expect(callsSince(beforeReplay)).toEqual([]);
      // The checkpoints are on the real Redis, under this worker's prefix.
      expect(await redis.keys(`${prefix}*`)).not.toEqual([]);
    } finally {
      await second.kill();
    }
  });
});

describe('the edge worker in Miniflare (local development)', () => {
  it('runs an order to completion, and a second request replays it', async () => {
    const worker = await startMiniflare({ bundle, bindings: bindings(), compatibilityFlags: [] });
    try {
      const orderId = `order-miniflare-${Date.now()}`;
      const before = payments.calls().length;
      const first = (await (await order(worker.url, orderId)).json()) as {
        result: unknown;
        events: string[];
      };
      expect(first.events).toEqual(expect.arrayContaining(['step.ran:reserve', 'step.ran:charge']));
      expect(payments.calls().slice(before)).toEqual([`reserve:${orderId}`, `charge:${orderId}`]);
      const again = (await (await order(worker.url, orderId)).json()) as { result: unknown };
      expect(again.result).toEqual(first.result);
      expect(payments.calls().slice(before)).toHaveLength(2);
    } finally {
      await worker.close();
    }
  });
});
