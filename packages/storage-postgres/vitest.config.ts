import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// vitest passes ssr.resolve.conditions to the worker as `node --conditions`; the shared list holds
// `import`, which makes `require('pg-pool')` inside pg load pg-pool's ESM build and crash
// ("Class extends value [object Module]"). Vite adds import/require by itself, so drop them here.
const conditions = ['@td7x/source', 'node'];

export default defineConfig({
  ...shared,
  resolve: { ...shared.resolve, conditions },
  ssr: { ...shared.ssr, resolve: { ...shared.ssr?.resolve, conditions } },
  // Resolves TEST_POSTGRES_URL once (env → testcontainers → a failing error that says what to run).
  test: { ...shared.test, globalSetup: ['./test/global-setup.ts'] },
});
