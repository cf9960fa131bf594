import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends/open.ts';
import { bundleChild } from '../src/bundle.ts';
import { type CampaignOptions, runBackend } from '../src/run-backend.ts';

/**
 * The short, fixed-seed campaign CI runs on every backend: every part of `npm run torture`, with
 * small counts (sized for `npm test` on 2 cores; the full campaign is `npm run torture`). A failure
 * prints the seed and plans of the failing trial; replay it with
 * `npm run torture -- --backends <name> --seed <seed>`.
 */
const SHORT: Omit<CampaignOptions, 'child'> = {
  seed: 20261126,
  kills: 12,
  outages: 1,
  races: 1,
  raceProcesses: 16,
  fuzzCases: 100,
  parallel: 2,
  leaseMs: 400,
};

let child: string;
beforeAll(async () => {
  child = await bundleChild();
});

describe.each(BACKENDS)('%s', (backend) => {
  it('survives the short campaign with no invariant violated', { timeout: 300_000 }, async () => {
    const figures = await runBackend(backend, { ...SHORT, child });
    expect(figures.violations).toEqual([]);
  });
});
