import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// `npm start` runs main.mjs on the built packages; this runs it from source, the CLI included.
it('the host drives a sleeping, signal-waiting workflow; the durable-x command shows and signals it', async () => {
  const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@td7x/source', '--import', 'tsx', main],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 60_000,
    },
  );
  const count = (text: string) => stdout.split(text).length - 1;
  expect(stdout).toMatch(/suspended on sleep cool-off until \+\d+ ms; lease released/);
  expect(stdout).toContain('host: onboarding-ada suspended (cool-off)');
  expect(stdout).toMatch(/suspended on signal approval until \+\d+ ms; lease released/);
  // What the operator saw: the run parked, its three steps (the host's record of the workflow first).
  expect(stdout).toMatch(/status\s+suspended, attempt 2/);
  expect(stdout).toMatch(/│ 1 │ durable-x-host:workflow │ recorded │/);
  expect(stdout).toMatch(/│ 3 │ request-approval\s+│ recorded │/);
  expect(stdout).toContain(
    'operator: durable-x signal -> signal approval sent to onboarding-ada (suspended: due now if it waits for it)',
  );
  expect(stdout).toContain('signal approval received');
  expect(stdout).toContain('Result: completed: acct-ada approved by ops; 0 run(s) still running at stop.');
  expect(stdout).toMatch(/│ onboarding-ada │ completed │ 4\s+│ 0\s+│ 3/);
  for (const effect of ['created account', 'sent the approval request', 'activated acct-ada']) {
    expect(count(`effect: ${effect}`)).toBe(1);
  }
});
