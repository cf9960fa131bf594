import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// `npm run demo:host` runs host.mjs on the built packages; this runs it from source.
it('the host example: the workflow sleeps, waits for a signal from another process, and each step runs once', async () => {
  const host = fileURLToPath(new URL('../src/host.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@td7x/source', '--import', 'tsx', host],
    { cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 60_000 },
  );
  const count = (text: string) => stdout.split(text).length - 1;
  expect(stdout).toContain('suspended on sleep cool-off');
  expect(stdout).toContain('suspended on signal approval until');
  expect(stdout).toMatch(
    /signal approval sent -> \{"runId":"onboarding-7","name":"approval","accepted":true,"status":"suspended"\}/,
  );
  expect(stdout).toContain('poll: onboarding-7 is due');
  expect(stdout).toContain('completed: approved by ops');
  for (const effect of ['created account', 'sent the approval request', 'activate acct-onboarding-7']) {
    expect(count(`effect: ${effect}`)).toBe(1);
  }
  expect(stdout).toMatch(/Result after \d+ runs of the workflow: approved by ops/);
});
