import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTANT_ENV, MUTANTS, type MutantName } from '../src/backends/mutants.ts';
import { createNamespace, type Namespace } from '../src/backends/namespace.ts';
import { bundleChild } from '../src/bundle.ts';
import { trialSeed } from '../src/kill/prng.ts';
import { killTrial } from '../src/parts/kills.ts';

/**
 * The campaign's own mutation test: kill trials on a storage broken behind the adapter must
 * report the break (a campaign that cannot fail proves nothing), and the same trials on the
 * untouched storage must not.
 */
const TRIALS = 3;
let child: string;
let namespace: Namespace;
beforeAll(async () => {
  child = await bundleChild();
  namespace = await createNamespace('sqlite', 'mutants');
});
afterAll(async () => {
  await namespace?.drop();
});

const trials = async (label: string, mutant?: MutantName) => {
  const env = mutant === undefined ? namespace.env : { ...namespace.env, [MUTANT_ENV]: mutant };
  const violations: string[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const trial = await killTrial({
      namespace: { ...namespace, env },
      runId: `${label}-${i}`,
      seed: trialSeed(7, i),
      leaseMs: 400,
      child,
    });
    violations.push(...trial.violations);
  }
  return violations;
};

describe('kill trials', () => {
  it('find nothing on the untouched storage', { timeout: 120_000 }, async () => {
    expect(await trials('untouched')).toEqual([]);
  });
  it.each(Object.keys(MUTANTS) as MutantName[])(
    'report the mutant %s',
    { timeout: 120_000 },
    async (mutant) => {
      const violations = await trials(mutant, mutant);
      expect(violations.length, 'violations reported').toBeGreaterThan(0);
    },
  );
});
