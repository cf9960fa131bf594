import type { SuiteGroup } from './group-names.ts';
import { batchSuite } from './suites/batches.ts';
import { cancelSuite } from './suites/cancel.ts';
import { cancellationSuite } from './suites/cancellation.ts';
import { claimSuite } from './suites/claim.ts';
import { claimRulesSuite } from './suites/claim-rules.ts';
import { cleanupSuite } from './suites/cleanups.ts';
import { costSuite } from './suites/cost.ts';
import { durableSleepSuite } from './suites/durable-sleep.ts';
import { fencedSuite } from './suites/fenced.ts';
import { fencingSuite } from './suites/fencing.ts';
import { finishSuite } from './suites/finish.ts';
import { housekeepingSuite } from './suites/housekeeping.ts';
import { idSuite } from './suites/ids.ts';
import { listingSuite } from './suites/listing.ts';
import { livenessSuite } from './suites/liveness.ts';
import { nameSuite } from './suites/names.ts';
import { persistenceSuite } from './suites/persistence.ts';
import { purgeSuite } from './suites/purge.ts';
import { recordSuite } from './suites/records.ts';
import { resendSuite } from './suites/resends.ts';
import { retrySuite } from './suites/retries.ts';
import { signalSuite } from './suites/signals.ts';
import { stepSuite } from './suites/steps.ts';
import { suspendSuite } from './suites/suspend.ts';
import { takeoverSuite } from './suites/takeover.ts';
import { versionSuite } from './suites/versions.ts';
import { waitSuite } from './suites/waits.ts';

/**
 * Every group of the suite, in the order they run. The groups that list or purge by time (in
 * eras of their own, see `era`) come after `housekeeping`, whose recovery takes over every
 * abandoned run it finds.
 */
export const suites = {
  claim: claimSuite,
  takeover: takeoverSuite,
  liveness: livenessSuite,
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
  claimRules: claimRulesSuite,
  fenced: fencedSuite,
  records: recordSuite,
  batches: batchSuite,
  finish: finishSuite,
  resends: resendSuite,
  names: nameSuite,
  listing: listingSuite,
  purge: purgeSuite,
} as const satisfies Record<SuiteGroup, unknown>;

/**
 * The groups that call the storage contract directly, without the core: together they check
 * every rule written in the contract (`contract.ts` in `@td7x/durable-x`), each failure naming the
 * rule it broke. The other groups check the same storage through the core's API.
 */
export const contractGroups = [
  'claimRules',
  'takeover',
  'fenced',
  'records',
  'batches',
  'finish',
  'suspend',
  'signals',
  'cancel',
  'resends',
  'names',
  'listing',
  'purge',
] as const satisfies readonly SuiteGroup[];

export type { SuiteGroup };
