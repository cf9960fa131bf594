/**
 * The names of the suite's groups, in the order they run (groups.ts registers one suite under
 * each). A module of its own, with no imports, so that the harness's options can name groups
 * without importing the suites.
 */
export const SUITE_GROUPS = [
  'claim',
  'takeover',
  'liveness',
  'steps',
  'cleanups',
  'fencing',
  'housekeeping',
  'ids',
  'persistence',
  'cost',
  'suspend',
  'signals',
  'cancel',
  'sleep',
  'waits',
  'cancellation',
  'retries',
  'versions',
  'claimRules',
  'fenced',
  'records',
  'batches',
  'finish',
  'resends',
  'names',
  'listing',
  'purge',
] as const;

export type SuiteGroup = (typeof SUITE_GROUPS)[number];
