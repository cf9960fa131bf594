// npm run demo:host — a host for workflows that sleep and wait, as a Windmill schedule, a queue
// with delayed retries or a cron would be. It runs the workflow; when the workflow suspends it
// schedules the next run at `resumeAt`, and a poll of `findDue` picks up runs that a signal woke.
// No process sits in the workflow while it waits: every wake-up is a fresh load from storage.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findDue, isDurableXError, suspensionOf } from '@td7x/durable-x';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { onboard } from './onboarding.mjs';

const dir = mkdtempSync(join(tmpdir(), 'durable-x-host-'));
const dbFile = join(dir, 'runs.db');
const storage = sqliteStorage(new Database(dbFile));
const runId = 'onboarding-7';
const started = Date.now();
const say = (text) => console.log(`  ${String(Date.now() - started).padStart(5)} ms  ${text}`);

const onEvent = (event) => {
  if (event.type === 'step.ran') say(`step ${event.name} ran`);
  if (event.type === 'step.skipped') say(`step ${event.name} skipped (memoized)`);
  if (event.type === 'run.suspended') {
    const until = event.resumeAt === null ? 'a signal arrives' : `+${event.resumeAt - started} ms`;
    say(`suspended on ${event.reason} ${event.name} until ${until}; lease released`);
  }
  if (event.type === 'signal.received')
    say(`signal ${event.name} ${event.timedOut ? 'timed out' : 'received'}`);
};

/** One attempt of the run; what the host does next depends only on what it threw. */
let runs = 0;
let done;
const timers = new Set();
const later = (ms, fn) => {
  const timer = setTimeout(() => {
    timers.delete(timer);
    fn();
  }, ms);
  timers.add(timer);
};
const attempt = async () => {
  if (done !== undefined) return;
  runs++;
  say(`host: run ${runs} of ${runId}`);
  try {
    done = await onboard(storage, runId, { onEvent, log: (text) => say(`  effect: ${text}`) });
    say(`completed: ${done}`);
  } catch (error) {
    // Woken twice at once (its timer and the poll): the second load finds the run busy. Fine.
    if (isDurableXError(error, 'RunBusy')) return say('host: busy, another run of it is under way');
    const suspended = suspensionOf(error);
    if (!suspended) throw error;
    if (suspended.resumeAt !== null) later(Math.max(0, suspended.resumeAt - Date.now()), attempt);
    if (suspended.name === 'approval') approveFromAnotherProcess();
  }
};

/** The operator approves a little later, from a process of their own. */
let approved = false;
const approveFromAnotherProcess = () => {
  if (approved) return;
  approved = true;
  later(800, async () => {
    const script = fileURLToPath(new URL('./send-signal.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [
      ...process.execArgv,
      script,
      dbFile,
      runId,
      'ops',
    ]);
    say(`operator, another process: signal approval sent -> ${stdout.trim()}`);
  });
};

// The host's poll: suspended runs whose time came or whose signal arrived.
const poll = setInterval(async () => {
  const { runs: due } = await findDue(storage)({});
  for (const run of due) {
    say(`poll: ${run.runId} is due`);
    await attempt();
  }
}, 200);

console.log('\nA workflow that sleeps and waits for a signal, driven by a host:\n');
await attempt();
await new Promise((resolve) => {
  const check = setInterval(() => {
    if (done !== undefined) {
      clearInterval(check);
      resolve();
    }
  }, 50);
});
clearInterval(poll);
for (const timer of timers) clearTimeout(timer); // the approval's timeout: the run is done
console.log(`\nResult after ${runs} runs of the workflow: ${done}. Each step ran once.`);
rmSync(dir, { recursive: true, force: true });
