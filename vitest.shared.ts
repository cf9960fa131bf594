import { defineConfig } from 'vitest/config';

/**
 * Tests run the workspace packages from source through the `@td7x/source` export condition, so
 * no build is needed first; child processes get the same with `node --conditions=@td7x/source
 * --import tsx`.
 */
// Only these: vitest also passes them to workers as `node --conditions`, where an `import` entry
// would make `require('pg-pool')` inside pg load pg-pool's ESM build and crash. Vite adds
// import/require by itself.
export const sourceConditions = ['@td7x/source', 'node'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
