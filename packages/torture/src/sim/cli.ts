/**
 * `npm run sim -- [--schedules N] [--seed S] [--backend memory|sqlite|postgres|redis|s3|windmill]`:
 * a sweep of the deterministic simulation (docs/semantics.md, "When actors meet"). It stops at the
 * first violation and prints the seed, the shrunk schedule (config and actor firings left out) and
 * its trace; rerun that one schedule with `--seed S --schedules 1`.
 */
import { parseArgs } from 'node:util';
import { openSimTarget, type SimTarget } from './open.ts';
import { DEFAULT_CONFIG } from './schedule.ts';
import { sweep } from './sweep.ts';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'memory' },
  },
});

const schedules = Number(values.schedules);
const seed = Number(values.seed);
const target = values.backend as SimTarget;
const { backend, close } = await openSimTarget(target, `sim-${seed}`);
const started = Date.now();
let lastReport = started;
const report = await sweep(seed, schedules, backend, DEFAULT_CONFIG, (done) => {
  if (Date.now() - lastReport < 10_000) return;
  lastReport = Date.now();
  const rate = done / ((Date.now() - started) / 1000);
  console.log(`sim ${target}: ${done}/${schedules} schedules, ${rate.toFixed(0)}/s`);
});
await close();
const seconds = (report.ms / 1000).toFixed(1);
console.log(
  `sim ${target}: ${report.schedules} schedules from seed ${seed} in ${seconds} s, ${report.events} events`,
);
console.log(JSON.stringify(report.stats));
if (report.failure) {
  const { failure } = report;
  console.log(`\nVIOLATION at seed ${failure.seed}, shrunk to ${JSON.stringify(failure.config)}`);
  console.log(`actor firings left out: ${failure.skip.join(', ') || 'none'}`);
  for (const violation of failure.result.violations) console.log(`  ${violation}`);
  console.log('\ntrace of the shrunk schedule:');
  for (const line of failure.result.trace) console.log(`  ${line}`);
  process.exitCode = 1;
} else {
  console.log('no violation');
}
