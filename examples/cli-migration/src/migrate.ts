/**
 * `npm start [-- --db data.db --rows 50000 --batch 500]`: migrates `legacy_users` into `users` in
 * a SQLite file, with a progress bar. Stop it any way you like (Ctrl-C, `kill -9`, a power cut)
 * and run it again: it goes on from the last batch it finished.
 *
 * Each batch is a durable-x step, keyed by the id it starts after: a run resumed after a crash
 * gets the finished batches back from storage (in a few milliseconds, whatever their number) and
 * migrates only the rest. The checkpoints live in the same SQLite file as the data.
 */
import { parseArgs } from 'node:util';
import { complete, type DurableEvent, durable, fail, isDurableXError, load } from '@td7x/durable-x';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { Presets, SingleBar } from 'cli-progress';
import { type Batch, migrateBatch, seed } from './data.ts';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'data.db' },
    rows: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
  },
});
const batchSize = Number(args.batch);
const leaseMs = Number(process.env.LEASE_MS ?? 5_000); // how long a killed run blocks the next one
const slowMs = Number(process.env.BATCH_DELAY_MS ?? 50); // a transform that takes time: room for Ctrl-C

const db = new Database(args.db);
const total = seed(db, Number(args.rows));
const storage = sqliteStorage(db);
const runId = 'migrate legacy_users → users';

let replayed = false; // the last batch came back from storage: an earlier attempt did it
const onEvent = (event: DurableEvent) => {
  if (event.type === 'step.skipped') replayed = true;
};

/** Loads the run; while a killed attempt's lease runs, says so and waits for it. */
const claim = async () => {
  for (;;) {
    try {
      return await load(storage, { leaseMs, onEvent })({})(runId);
    } catch (e) {
      if (!isDurableXError(e, 'RunBusy')) throw e;
      const waitMs = Math.max(0, e.error.leaseExpiresAt - Date.now());
      console.log(
        `another run holds the migration (killed?) until ${new Date(e.error.leaseExpiresAt).toLocaleTimeString()}; waiting ${Math.ceil(waitMs / 1000)} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs + 50));
    }
  }
};

const cp = await claim();
if (cp.replay) {
  console.log(`already done: ${total} rows were migrated by an earlier run; nothing to do`);
  process.exit(0);
}
if (cp.attempt > 1) console.log(`resuming (attempt ${cp.attempt})`);

let stopping = false;
process.on('SIGINT', () => {
  if (stopping) process.exit(130); // a second Ctrl-C: stop at once (the next run still resumes)
  stopping = true;
});

const bar = new SingleBar(
  {
    format: '{bar} {percentage}% | {value}/{total} rows | {eta_formatted} left',
    noTTYOutput: true,
    notTTYSchedule: 250,
  },
  Presets.shades_classic,
);
const started = Date.now();
const step = durable(storage)(cp);
bar.start(total, 0);
let done = 0;
let resumed = 0;
let afterId = 0;
for (;;) {
  replayed = false;
  const batch: Batch = await step('batch')({ afterId, size: batchSize })(async () => {
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return migrateBatch(db, afterId, batchSize);
  });
  if (batch.rows === 0) break;
  done += batch.rows;
  if (replayed) resumed += batch.rows;
  afterId = batch.lastId;
  bar.update(done);
  if (stopping) {
    bar.stop();
    await fail(storage)(cp)(new Error('interrupted')); // releases the run: the next start resumes at once
    console.log(`interrupted after ${done}/${total} rows; run it again to resume`);
    process.exit(130);
  }
}
bar.stop();
await complete(storage)(cp);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `done: ${done} rows in ${seconds} s${resumed > 0 ? `, ${resumed} of them by an earlier attempt` : ''}`,
);
db.close();
