/**
 * `@td7x/durable-x-testkit`: the conformance suite every durable-x storage adapter runs against
 * its real backend. See README.md for the 20-line setup.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { ConformanceHarness, ConformanceOptions } from './harness.ts';
import { cancelSuite } from './suites/cancel.ts';
import { cancellationSuite } from './suites/cancellation.ts';
import { claimSuite } from './suites/claim.ts';
import { cleanupSuite } from './suites/cleanups.ts';
import { costSuite } from './suites/cost.ts';
import { durableSleepSuite } from './suites/durable-sleep.ts';
import { fencingSuite } from './suites/fencing.ts';
import { housekeepingSuite } from './suites/housekeeping.ts';
import { idSuite } from './suites/ids.ts';
import { persistenceSuite } from './suites/persistence.ts';
import { retrySuite } from './suites/retries.ts';
import { signalSuite } from './suites/signals.ts';
import { stepSuite } from './suites/steps.ts';
import { suspendSuite } from './suites/suspend.ts';
import { takeoverSuite } from './suites/takeover.ts';
import { versionSuite } from './suites/versions.ts';
import { waitSuite } from './suites/waits.ts';

export { type CountingStorage, countingStorage } from './counting.ts';
export type { ConformanceHarness, ConformanceOptions, RawReader, RawRun } from './harness.ts';
export { hostileRunIds, invalidRunIds } from './suites/ids.ts';

/** Every SPEC rule, grouped as SPEC.md groups them. Each group is also exported on its own. */
export const suites = {
  claim: claimSuite,
  takeover: takeoverSuite,
  steps: stepSuite,
  cleanups: cleanupSuite,
  fencing: fencingSuite,
  housekeeping: housekeepingSuite,
  ids: idSuite,
  persistence: persistenceSuite,
  cost: costSuite,
  suspend: suspendSuite,
  signals: signalSuite,
  cancel: cancelSuite,
  sleep: durableSleepSuite,
  waits: waitSuite,
  cancellation: cancellationSuite,
  retries: retrySuite,
  versions: versionSuite,
} as const;

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
    });
    afterAll(async () => {
      await current?.close();
    });
    const context = {
      harness: () => {
        if (!current) throw new Error('the conformance harness failed to start (see the beforeAll error)');
        return current;
      },
      options: {
        concurrency: options.concurrency ?? 16,
        largeOutputBytes: options.largeOutputBytes ?? 1_000_000,
      },
    };
    for (const [group, register] of Object.entries(suites)) describe(group, () => register(context));
  });
};
