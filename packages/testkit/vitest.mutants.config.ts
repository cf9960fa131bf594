import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

/**
 * The vitest that test/mutation.test.ts starts: only the mutant suites (never the package's own
 * tests, which would start it again), with a short timeout since a mutant may hang a test.
 */
export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ['test/mutants/conformance.mutants.ts'],
    testTimeout: 5_000,
    hookTimeout: 10_000,
  },
});
