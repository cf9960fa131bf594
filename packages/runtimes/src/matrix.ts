/**
 * `pnpm --filter @td7x/runtimes test` (part of `npm test`, see ../README.md): runs the runtime
 * matrix one step after the other — vitest itself on Bun or Deno for each cell of cells.ts, then the
 * package shape checks of shape.ts — and prints what passed and how long each step took. One step
 * at a time: the machine has two cores and `npm test` runs another task beside this one.
 */
import { cells } from './cells.ts';
import { versionOf } from './runtimes.ts';
import { shapeSteps } from './shape.ts';
import type { Step } from './step.ts';
import { vitestStep } from './vitest-steps.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const steps: Step[] = [...cells.map(vitestStep), ...shapeSteps()];
console.log(`runtime matrix on ${versionOf('bun')}, ${versionOf('deno')}: ${steps.length} steps`);

const outcomes: { step: Step; passed: boolean; ms: number }[] = [];
for (const step of steps) {
  console.log(`\n▶ ${step.label}: ${step.proves}`);
  const started = performance.now();
  const passed = await step.run();
  outcomes.push({ step, passed, ms: performance.now() - started });
}

console.log('\nruntime matrix:');
for (const { step, passed, ms } of outcomes) {
  console.log(`  ${passed ? '✓' : '✗'} ${step.label.padEnd(64)} ${seconds(ms).padStart(7)}`);
}
const failed = outcomes.filter((o) => !o.passed).length;
const total = outcomes.reduce((sum, o) => sum + o.ms, 0);
console.log(`runtime matrix: ${outcomes.length - failed} passed, ${failed} failed in ${seconds(total)}`);
process.exitCode = failed === 0 ? 0 : 1;
