/**
 * `pnpm dev`: the worker in Miniflare on http://127.0.0.1:8787 (PORT), its checkpoints on a local
 * Redis (REDIS_URL, default redis://127.0.0.1:6379) through the loopback Upstash REST bridge, its
 * payments calls answered by the local stand-in. Build the packages first (`pnpm build` at the root).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorker } from './bundle.ts';
import { startMiniflare } from './miniflare.ts';
import { startPayments } from './payments.ts';
import { startUpstashBridge } from './upstash-bridge.ts';

const token = 'local-development-token';
const bundle = join(mkdtempSync(join(tmpdir(), 'dx-edge-dev-')), 'worker.js');
await bundleWorker(bundle);
const bridge = await startUpstashBridge({
  redisUrl: process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  token,
});
const payments = await startPayments();
const worker = await startMiniflare({
  bundle,
  bindings: {
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    PAYMENTS_URL: payments.url,
    KEY_PREFIX: 'edge-worker-dev:',
  },
  compatibilityFlags: [],
  port: Number(process.env.PORT ?? 8787),
});

console.log(`edge worker on ${worker.url}
  curl -X POST ${worker.url}/orders/order-1    # runs the order; again: replays it
  curl ${worker.url}/runtime                   # what the core finds of an async context
Ctrl-C stops it.`);

process.once('SIGINT', async () => {
  await worker.close();
  await Promise.all([bridge.close(), payments.close()]);
});
