import type { Runtime } from './runtimes.ts';

/**
 * The runtime matrix (see ../README.md): which package's vitest suites run on which runtime. Node 20
 * is not listed: `npm test` already runs every package's tests on it (each package's `test` task).
 * The files are the packages' own, run by vitest itself under the runtime: the same suites, the same
 * runner, the same real servers.
 */
export interface Cell {
  readonly runtime: Runtime;
  /** The package, from the repository root; vitest runs there with the package's own config. */
  readonly dir: string;
  /** Test files of that package; none means all of them. */
  readonly files: readonly string[];
  /** What passing proves, for the summary. */
  readonly proves: string;
}

const onBoth = (dir: string, files: readonly string[], proves: string): Cell[] =>
  (['bun', 'deno'] as const).map((runtime) => ({ runtime, dir, files, proves }));

export const cells: readonly Cell[] = [
  ...onBoth('packages/core', [], "the core's tests"),
  ...onBoth('packages/testkit', ['test/memory.test.ts'], 'the conformance suite on the memory storage'),
  ...onBoth(
    'packages/storage-postgres',
    ['test/conformance.test.ts'],
    'the conformance suite on PostgreSQL (pg)',
  ),
  ...onBoth(
    'packages/storage-redis',
    ['test/conformance.test.ts'],
    'the conformance suite on Redis (ioredis)',
  ),
  {
    runtime: 'bun',
    dir: 'packages/runtimes',
    files: ['test/sqlite.test.ts'],
    proves: "the conformance suite on SQLite through bun:sqlite (the SQLite package's own harness)",
  },
  {
    runtime: 'deno',
    dir: 'packages/runtimes',
    files: ['test/sqlite.test.ts'],
    proves: "the conformance suite on SQLite through node:sqlite (the SQLite package's own harness)",
  },
  {
    runtime: 'bun',
    dir: 'packages/storage-windmill',
    files: [],
    proves: "the Windmill package's tests (its jobs run on Bun too) through the stand-in of Windmill's API",
  },
];
