// npm run demo: a durable workflow on SQLite is killed with SIGKILL in the middle of its upload,
// then resumed in this process. Shows what ran, what was cleaned up, what was skipped and re-ran.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDurableXError } from '@td7x/durable-x';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { processFile } from './workflow.mjs';

const fileId = 'file-42';
const dir = mkdtempSync(join(tmpdir(), 'durable-x-demo-'));
const dbFile = join(dir, 'runs.db');
const uploadPath = join(dir, 'cdn', `${fileId}.json`);
const out = (text = '') => console.log(text);
const say = (label, text) => out(`  ${label.padEnd(9)} ${text}`);
const list = (names) => (names.length > 0 ? names.join(', ') : 'none');

// What each attempt did, from durable-x's events (and the demo's own notes).
const attempts = [
  { ran: [], started: [], skipped: [], cleanups: [] },
  { ran: [], started: [], skipped: [], cleanups: [] },
];
const reporter = (n) => (event) => {
  const seen = attempts[n];
  switch (event.type) {
    case 'run.loaded':
      return event.attempt === 1
        ? say('load', 'new run, attempt 1')
        : say(
            'load',
            `attempt ${event.attempt}: ${event.memoizedSteps} steps memoized, ${event.pendingCleanups} cleanup pending`,
          );
    case 'step.ran':
      seen.ran.push(event.name);
      return say(
        event.name,
        n > 0 && attempts[0].started.includes(event.name) ? 'ran again (attempt 1 died inside it)' : 'ran',
      );
    case 'step.skipped':
      seen.skipped.push(event.name);
      return say(event.name, 'skipped: memoized by attempt 1');
    case 'cleanup.ran':
      seen.cleanups.push(event.name);
      return say(
        'cleanup',
        `${event.name} ran${existsSync(uploadPath) ? '' : ': the half-written upload is deleted'}`,
      );
    case 'risky':
      return say('risky', `beforeRisky('${event.name}') stored before the upload`);
    case 'upload.stalled':
      seen.started.push('upload');
      return say('upload', `started: ${event.written} of ${event.total} bytes written...`);
    case 'owner.checked':
      return say(
        'owner',
        event.answer === 'dead'
          ? 'the process that held the run is gone: taken over at once, not after its 30 s lease'
          : `the process that holds the run is ${event.answer}`,
      );
    case 'run.completed':
      return say('run', 'completed');
  }
};

out(`durable-x demo: a workflow on SQLite is killed mid-upload, then resumed`);
out(`database ${dbFile}, run id "${fileId}"`);
out();

// Attempt 1: a child process, killed for real half-way through the upload.
const attemptScript = fileURLToPath(new URL('./attempt.mjs', import.meta.url));
const child = spawn(process.execPath, [...process.execArgv, attemptScript, dbFile, dir, fileId], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
out(`Attempt 1 (child process ${child.pid})`);
const exited = new Promise((resolve) =>
  child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
);
const report1 = reporter(0);
for await (const text of createInterface({ input: child.stdout })) {
  const event = JSON.parse(text);
  report1(event);
  if (event.type === 'upload.stalled') {
    child.kill('SIGKILL');
    break;
  }
}
const ending = await exited;
if (ending !== 'SIGKILL') throw new Error(`attempt 1 should have been killed, but ended with ${ending}`);
say(
  'KILLED',
  `SIGKILL inside the upload: ${fileId}.json is left half-written (${readFileSync(uploadPath).length} bytes)`,
);
out();

// Attempt 2: this process resumes the same run, at once: the liveness check finds its owner dead.
out(`Attempt 2 (this process ${process.pid}, same run id)`);
const db = new Database(dbFile);
const storage = sqliteStorage(db);
let result;
for (;;) {
  try {
    result = await processFile(storage, fileId, {
      dir,
      onEvent: reporter(1),
      note: reporter(1),
    });
    break;
  } catch (error) {
    // Only when the check cannot tell (another host, another boot): wait the lease out.
    if (!isDurableXError(error, 'RunBusy')) throw error;
    const wait = Math.max(10, error.error.leaseExpiresAt - Date.now() + 10);
    say(
      'busy',
      `the killed process's lease is still live; waiting ${(wait / 1000).toFixed(1)} s for it to expire`,
    );
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
db.close();
rmSync(dir, { recursive: true, force: true });

const [first, second] = attempts;
out();
out(`Result: ${JSON.stringify(result)}`);
out(`Attempt 1 ran ${list(first.ran)} and died inside ${list(first.started)}.`);
out(
  `Attempt 2 ran cleanup ${list(second.cleanups)}, skipped ${list(second.skipped)} (memoized), re-ran ${list(second.ran)}.`,
);
