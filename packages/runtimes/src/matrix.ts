/**
 * `pnpm --filter @td7x/runtimes test` (part of `npm test`): runs each cell of the runtime matrix
 * (cells.ts) one after the other — vitest itself on Bun or Deno, in the package's directory, with the
 * package's config plus the runtime probe — then prints what passed and how long each cell took.
 * One cell at a time: the machine has two cores and `npm test` runs another task beside this one.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cell, cells } from './cells.ts';
import { commandFor, environmentFor, versionOf } from './runtimes.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
// vitest's own command line (its package.json `bin`), which exports do not name.
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const config = fileURLToPath(new URL('./vitest.config.ts', import.meta.url));

interface Outcome {
  readonly cell: Cell;
  readonly passed: boolean;
  readonly ms: number;
}

const run = (cell: Cell): Promise<Outcome> => {
  const [binary, args] = commandFor(cell.runtime, vitest);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(binary, [...args, 'run', '--config', config, ...cell.files], {
      cwd: join(repoRoot, cell.dir),
      env: environmentFor(cell.runtime),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const done = (passed: boolean) => resolve({ cell, passed, ms: performance.now() - started });
    child.on('error', (error) => {
      console.error(error);
      done(false);
    });
    child.on('close', (code) => done(code === 0));
  });
};

const label = (cell: Cell) =>
  `${cell.runtime} · ${cell.dir}${cell.files.length ? ` ${cell.files.join(' ')}` : ''}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

console.log(`runtime matrix on ${versionOf('bun')}, ${versionOf('deno')}`);
const outcomes: Outcome[] = [];
for (const cell of cells) {
  console.log(`\n▶ ${label(cell)}: ${cell.proves}`);
  outcomes.push(await run(cell));
}

console.log('\nruntime matrix:');
for (const { cell, passed, ms } of outcomes) {
  console.log(`  ${passed ? '✓' : '✗'} ${label(cell).padEnd(64)} ${seconds(ms).padStart(7)}`);
}
const failed = outcomes.filter((o) => !o.passed).length;
const total = outcomes.reduce((sum, o) => sum + o.ms, 0);
console.log(`runtime matrix: ${outcomes.length - failed} passed, ${failed} failed in ${seconds(total)}`);
process.exitCode = failed === 0 ? 0 : 1;
