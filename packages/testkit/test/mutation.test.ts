import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { mutants } from './mutants/mutants.ts';

/**
 * Mutation testing of the conformance suite: each mutant of the memory storage breaks one
 * sentence of the contract, and the suite's contract groups must fail on it, as they must pass on
 * the untouched storage. They run in a vitest of their own (vitest.mutants.config.ts), whose
 * JSON report says which tests failed under which `describeConformance`.
 */

interface TestResult {
  readonly ancestorTitles: readonly string[];
  readonly title: string;
  readonly status: string;
  readonly failureMessages: readonly string[];
}

interface Report {
  readonly testResults: readonly { readonly assertionResults: readonly TestResult[] }[];
}

const here = dirname(fileURLToPath(import.meta.url));
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

/** Runs the mutant suites and returns their tests by the storage they ran against. */
const runMutantSuites = async (): Promise<Map<string, TestResult[]>> => {
  const dir = await mkdtemp(join(tmpdir(), 'dx-mutants-'));
  const outputFile = join(dir, 'report.json');
  // The child is a vitest of its own, not a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          vitestBin,
          'run',
          '--config',
          join(here, '../vitest.mutants.config.ts'),
          '--reporter=json',
          `--outputFile=${outputFile}`,
        ],
        { cwd: join(here, '..'), env, maxBuffer: 64 * 1024 * 1024 },
        // Exit code 1 is expected (the mutants fail); only a missing report is an error.
        (error, _stdout, stderr) => (error && error.code !== 1 ? reject(new Error(stderr)) : resolve()),
      );
    });
    const report = JSON.parse(await readFile(outputFile, 'utf8')) as Report;
    const byStorage = new Map<string, TestResult[]>();
    for (const test of report.testResults.flatMap((file) => file.assertionResults)) {
      const storage = (test.ancestorTitles[0] ?? '').replace(/^durable-x conformance: /, '');
      byStorage.set(storage, [...(byStorage.get(storage) ?? []), test]);
    }
    return byStorage;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

const describeTest = (t: TestResult) => `${t.ancestorTitles.slice(1).join(' > ')} > ${t.title}`;

describe('mutation testing: the contract groups catch every mutant of the memory storage', () => {
  let results = new Map<string, TestResult[]>();
  beforeAll(async () => {
    results = await runMutantSuites();
  }, 120_000);

  it('the untouched memory storage passes every contract property', () => {
    const tests = results.get('reference') ?? [];
    expect(tests.length, 'the reference suite ran').toBeGreaterThan(50);
    expect(
      tests
        .filter((t) => t.status !== 'passed')
        .map((t) => `${describeTest(t)}: ${t.failureMessages[0] ?? t.status}`),
    ).toEqual([]);
  });

  it('has one mutant per name, each with the sentence of the contract it breaks', () => {
    const names = mutants.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of mutants) expect(m.rule.length, m.name).toBeGreaterThan(20);
  });

  for (const m of mutants) {
    it(`catches ${m.name} (${m.kind}): ${m.rule}`, () => {
      const tests = results.get(`mutant ${m.name}`) ?? [];
      const reference = results.get('reference') ?? [];
      expect(tests.length, `the suite ran against mutant ${m.name} (DX_MUTANTS may have left it out)`).toBe(
        reference.length,
      );
      const failed = tests.filter((t) => t.status === 'failed');
      expect(
        failed.length,
        `mutant ${m.name} breaks "${m.rule}", yet every contract property passed against it: that guarantee is unchecked`,
      ).toBeGreaterThan(0);
      // A custom message reads "AssertionError: <the rule>: expected …".
      const naming = failed.filter((t) =>
        t.failureMessages.some(
          (m) => m.startsWith('AssertionError: ') && !m.startsWith('AssertionError: expected '),
        ),
      );
      expect(
        naming.length,
        `mutant ${m.name} is caught only by assertions that do not say which guarantee broke: ${failed.map(describeTest).join('; ')}`,
      ).toBeGreaterThan(0);
    });
  }
});
