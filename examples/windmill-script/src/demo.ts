/**
 * The Windmill quick start on your machine, in one command:
 *
 *   DATABASE_URL=postgres://user:password@127.0.0.1:5432/mydb bun src/demo.ts [fileId]
 *
 * It starts the local stand-in of Windmill's API (@td7x/durable-x-windmill/local) on your
 * PostgreSQL, and runs script.ts as Windmill jobs, each a Bun process of its own: the first is
 * killed in its upload; a retry started at once meets the dead job's lease (RunBusy); the retry
 * after the lease skips the finished steps, runs the pending cleanup and uploads again; a re-run
 * of the finished file replays it. Exits 1 if any job ends otherwise.
 */
import { fileURLToPath } from 'node:url';
import { type JobResult, runJob, startStandIn } from '@td7x/durable-x-windmill/local';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('DATABASE_URL is not set: the PostgreSQL database that stands for the data table `main`');
  process.exit(2);
}
const fileId = process.argv[2] ?? `file-${Date.now().toString(36)}`;
const script = fileURLToPath(new URL('./script.ts', import.meta.url));

const describe = (result: JobResult): string => {
  if (result.status === 'completed') return `completed: ${JSON.stringify(result.result)}`;
  if (result.status === 'killed') return `killed (${result.signal ?? `exit ${result.code}`})`;
  return `failed: ${result.error.message}`;
};

const windmill = await startStandIn({ datatables: { main: databaseUrl } });
const job = async (title: string, env: Record<string, string> = {}): Promise<JobResult> => {
  const started = runJob(windmill, script, [fileId], { env });
  console.log(`${title} (job ${started.id.slice(0, 8)}, main(${JSON.stringify(fileId)}))`);
  const result = await started.result;
  console.log(`   → ${describe(result)}`);
  return result;
};
const expect = (ok: boolean, what: string) => {
  if (ok) return;
  console.error(`demo: ${what}`);
  process.exitCode = 1;
};

try {
  console.log(`local Windmill API on ${windmill.inlineUrl}; data table main on DATABASE_URL`);
  const first = await job('1. a job runs the script', { DEMO_CRASH: 'upload' });
  expect(first.status === 'killed', 'the first job was not killed in its upload');

  const early = await job('2. retried at once, as a new job');
  const busy = early.status === 'failed' && early.error.error?.type === 'RunBusy';
  expect(busy, 'the retry started at once did not meet the dead job’s lease');
  if (busy) {
    // A Windmill retry with a delay of at least the lease (30 s by default) lands after it.
    const until = Number(early.error.error?.leaseExpiresAt);
    const waitMs = Math.max(0, until - Date.now()) + 100;
    console.log(
      `   the dead job's lease runs until ${new Date(until).toISOString()}: waiting ${Math.ceil(waitMs / 1000)} s, as a retry delay would`,
    );
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  const retry = await job('3. retried after the lease, as a new job');
  expect(retry.status === 'completed', 'the retry after the lease did not complete');

  const rerun = await job('4. run again on the finished file');
  const value = (result: JobResult) => (result.status === 'completed' ? JSON.stringify(result.result) : '');
  expect(value(rerun) !== '' && value(rerun) === value(retry), 'the re-run did not replay the same result');
} finally {
  await windmill.close();
}
