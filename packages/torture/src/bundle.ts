import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The child as one ESM file, built once per campaign from the same sources (esbuild, which tsx
 * already brings): a child then starts in a fraction of the time `--import tsx` needs to
 * transform the workspace file by file, and the campaign spends its time killing, not compiling.
 * Drivers stay external and load from this package's node_modules, as a user's would.
 */
const PACKAGE = fileURLToPath(new URL('../', import.meta.url));

/** One file per bundling process: a campaign and a test run side by side never share one. */
export const bundleChild = async (): Promise<string> => {
  const outfile = `${PACKAGE}.cache/child-${process.pid}.mjs`;
  const requireFromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
  // Not a dependency of ours: typed here by the one call we make.
  const esbuild = requireFromTsx('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> };
  mkdirSync(`${PACKAGE}.cache`, { recursive: true });
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./campaign-child.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@td7x/source'],
    external: ['better-sqlite3', 'pg', 'ioredis', '@aws-sdk/*', 'pg-native', 'vitest', 'testcontainers'],
    logLevel: 'error',
  });
  process.once('exit', () => rmSync(outfile, { force: true }));
  return outfile;
};
