import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('../src/worker.ts', import.meta.url));

/**
 * Bundles the worker into one ES module, as wrangler would: the durable-x packages from their
 * built `dist` (their `import` export, as an installed package), `@upstash/redis` from its
 * Cloudflare entry, no `node:` import anywhere.
 */
export const bundleWorker = async (outfile: string): Promise<void> => {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
};
