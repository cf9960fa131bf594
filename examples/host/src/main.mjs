// npm start (after a build), or `pnpm test` here (from source): a host runs an onboarding workflow
// that sleeps and then waits for an approval. When it waits, an operator — another process, the
// `durable-x` command — looks at the run and sends the approval. The host's poll sees the run due
// and finishes it. Every wake-up is a fresh load from storage; each effect happens once.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createHost } from '@td7x/durable-x-host';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { onboarding } from './onboarding.mjs';

const dir = mkdtempSync(join(tmpdir(), 'durable-x-example-host-'));
const dbFile = join(dir, 'runs.db');
const runId = 'onboarding-ada';
const started = Date.now();
const say = (text) => console.log(`${String(Date.now() - started).padStart(6)} ms  ${text}`);

// The command as the operator runs it: the CLI package's own bin (its source when run from source).
const cliEntry = fileURLToPath(import.meta.resolve('@td7x/durable-x-cli'));
const cliBin = cliEntry.replace(/index\.(ts|js|cjs)$/, (_, ext) => `bin.${ext === 'ts' ? 'ts' : 'js'}`);
const operator = async (...args) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, cliBin, '--storage', dbFile, ...args],
    {
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  return stdout.trimEnd();
};

let finished;
const done = new Promise((resolve) => {
  finished = resolve;
});
const host = createHost({
  storage: sqliteStorage(new Database(dbFile)),
  pollIntervalMs: 200,
  onEvent: (event) => {
    if (event.type === 'step.ran') say(`step ${event.name} ran`);
    if (event.type === 'step.skipped') say(`step ${event.name} skipped (memoized)`);
    if (event.type === 'run.suspended') {
      const until = event.resumeAt === null ? 'a signal arrives' : `+${event.resumeAt - started} ms`;
      say(`suspended on ${event.reason} ${event.name} until ${until}; lease released`);
    }
    if (event.type === 'signal.received')
      say(`signal ${event.name} ${event.timedOut ? 'timed out' : 'received'}`);
  },
  onSettled: async (outcome) => {
    say(
      `host: ${outcome.runId} ${outcome.status}${outcome.status === 'suspended' ? ` (${outcome.name})` : ''}`,
    );
    if (outcome.status === 'suspended' && outcome.name === 'approval') {
      say('operator: durable-x show');
      console.log((await operator('show', runId)).replace(/^/gm, '        '));
      say(`operator: durable-x signal -> ${await operator('signal', runId, 'approval', '{"by":"ops"}')}`);
    }
    if (outcome.status === 'completed' || outcome.status === 'failed') finished(outcome);
  },
});
host.register(
  'onboarding',
  onboarding((text) => say(text)),
);

console.log('\nA workflow that sleeps and waits for a signal, driven by the in-process host:\n');
host.listen();
await host.start('onboarding', runId, { email: 'ada@example.com' });
const outcome = await done;
const report = await host.stop({ timeoutMs: 5000 });
console.log(
  `\nResult: ${outcome.status}: ${outcome.value}; ${report.stillRunning.length} run(s) still running at stop.`,
);
say('operator: durable-x ls');
console.log((await operator('ls')).replace(/^/gm, '        '));
rmSync(dir, { recursive: true, force: true });
