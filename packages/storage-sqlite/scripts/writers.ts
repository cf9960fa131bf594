/**
 * How many concurrent writer processes one file serves: for 1, 2, 4, 8 and 16 processes started
 * together on a new file, each runs RUNS runs of STEPS steps (claim, the steps, finish: one write
 * transaction each) through its own connection. Prints one Markdown row per crowd size and
 * `synchronous` setting; every failed call is counted.
 *   node --conditions=@td7x/source --import tsx packages/storage-sqlite/scripts/writers.ts \
 *     [runs=100] [steps=3] [processes=1,2,4,8,16] [synchronous=full,normal]
 * (from the repository root: `--import tsx` resolves from the working directory).
 */
import { startCrowd } from '../test/crowd/crowd.ts';
import { tempDatabaseFile } from '../test/harness.ts';

const runs = Number(process.argv[2] ?? 100);
const steps = Number(process.argv[3] ?? 3);
const sizes = (process.argv[4] ?? '1,2,4,8,16').split(',').map(Number);
const settings = (process.argv[5] ?? 'full,normal').split(',') as Array<'full' | 'normal'>;

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

const crowd = await startCrowd(Math.max(...sizes));
console.log(`${runs} runs of ${steps} steps per process; a run is ${steps + 2} write transactions`);
console.log(
  '| synchronous | processes | runs | failed calls | runs/s | steps/s | transactions/s | call p50 | call p99 | call max |',
);
console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
for (const synchronous of settings) {
  for (const size of sizes) {
    const { file, remove } = tempDatabaseFile();
    const started = performance.now();
    const results = await crowd.run(size, (child) => ({ file, runs, steps, tag: `c${child}`, synchronous }));
    const seconds = (performance.now() - started) / 1000;
    remove();
    const total = (field: 'claims' | 'steps' | 'finishes') => results.reduce((n, r) => n + r[field], 0);
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const failed = results.reduce((n, r) => n + r.failures.length, 0);
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      `| ${synchronous} | ${size} | ${total('finishes')} | ${failed} | ${Math.round(total('claims') / seconds)} | ${Math.round(total('steps') / seconds)} | ${Math.round(latencies.length / seconds)} | ${ms(percentile(latencies, 50))} | ${ms(percentile(latencies, 99))} | ${ms(latencies.at(-1) ?? Number.NaN)} |`,
    );
  }
}
crowd.close();
