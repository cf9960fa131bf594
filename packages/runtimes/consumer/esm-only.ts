/**
 * The ESM-only package, for ESM consumers: type-checked with `node16` resolution (copied to
 * esm-only.mts), with `bundler` resolution, and by `deno check` (with `npm:` specifiers).
 */
import { describeConformance, suites } from '@td7x/durable-x-testkit';

export const testkit = { describeConformance, suites };
