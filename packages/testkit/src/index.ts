/**
 * `@td7x/durable-x-testkit`: the conformance suite every durable-x storage adapter runs against
 * its real backend. See README.md for the 20-line setup.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { type SuiteGroup, suites } from './groups.ts';
import type { ConformanceHarness, ConformanceOptions } from './harness.ts';

export { type CountingStorage, countingStorage } from './counting.ts';
export { contractGroups, type SuiteGroup, suites } from './groups.ts';
export type { ConformanceHarness, ConformanceOptions, RawReader, RawRun } from './harness.ts';
export { type Around, interceptStorage, type Send } from './intercept.ts';
export { hostileRunIds, invalidRunIds } from './suites/ids.ts';
export { hostileNames, hostileValues } from './suites/names.ts';

/**
 * Registers the whole conformance suite for one adapter. `harness` is called once, before the
 * first test; tests isolate themselves by run id, so one namespace serves them all.
 */
export const describeConformance = (
  name: string,
  harness: () => Promise<ConformanceHarness>,
  options: ConformanceOptions = {},
): void => {
  describe(`durable-x conformance: ${name}`, () => {
    let current: ConformanceHarness | undefined;
    beforeAll(async () => {
      current = await harness();
      // Required: without it, records a storage keeps where its own reads do not look (a purged
      // run's steps, a step written with no head) would go unseen. Fail the suite, loudly.
      if (typeof current.raw?.readRun !== 'function') {
        throw new Error(
          `the conformance harness of ${name} has no raw reader (ConformanceHarness.raw): the suite needs one to check what the backend really stores; see the testkit README`,
        );
      }
    });
    afterAll(async () => {
      await current?.close();
    });
    const context = {
      harness: () => {
        if (!current?.raw)
          throw new Error('the conformance harness failed to start (see the beforeAll error)');
        return current;
      },
      options: {
        concurrency: options.concurrency ?? 16,
        largeOutputBytes: options.largeOutputBytes ?? 1_000_000,
      },
    };
    const groups = new Set<SuiteGroup>(options.groups ?? (Object.keys(suites) as SuiteGroup[]));
    for (const [group, register] of Object.entries(suites)) {
      if (groups.has(group as SuiteGroup)) describe(group, () => register(context));
    }
  });
};
