/**
 * Peak memory of one run with many steps, alone in its own process (forked by sections/memory.ts,
 * with --expose-gc). argv: <backend | dbos> <steps>. Sends { baselineRss, peakRss, heapBefore,
 * heapAfter } in bytes: RSS peak from the kernel (maxRSS), heap after a full GC while the run is
 * still held (what the run retains), both against the same process after its setup.
 */
import { stepOutput } from '../output.ts';
import { DBOS_DATABASE, postgresUrl, withDatabase } from '../services.ts';

const [target, stepsArg] = process.argv.slice(2) as [string, string];
const steps = Number(stepsArg);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const measure = async (setup: () => Promise<() => Promise<unknown>>) => {
  const run = await setup();
  gc();
  const baselineRss = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const held = await run();
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  void held;
  return { baselineRss, peakRss, heapBefore, heapAfter };
};

const dx = async () => {
  const { openBackend } = await import('../backends.ts');
  const { complete, durable, load } = await import('@td7x/durable-x');
  const backend = await openBackend(target as Parameters<typeof openBackend>[0]);
  const report = await measure(async () => async () => {
    const cp = await load(backend.storage)({})(`memory:${process.pid}`);
    const step = durable(backend.storage)(cp);
    for (let i = 0; i < steps; i++) await step(`s${i}`)(i)(() => stepOutput(i));
    // Measured while the checkpoint is still live: what a run of this size holds.
    const before = process.memoryUsage().heapUsed;
    await complete(backend.storage)(cp);
    return [cp, before];
  });
  await backend.close();
  return report;
};

const dbos = async () => {
  const { configureDbos, DBOS, dbosWorkflow } = await import('../dbos.ts');
  configureDbos(withDatabase(postgresUrl(), DBOS_DATABASE), 4);
  await DBOS.launch();
  const report = await measure(async () => () => dbosWorkflow(steps));
  await DBOS.shutdown();
  return report;
};

const report = await (target === 'dbos' ? dbos() : dx());
process.send?.(report, () => process.exit(0));
