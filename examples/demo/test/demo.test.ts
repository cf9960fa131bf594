import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// `npm run demo` runs main.mjs on the built packages; this runs the same file from source, so a
// change that breaks the demo fails the tests before anyone builds.
it('the demo kills attempt 1 mid-upload and resumes it: cleanup, 2 skipped steps, upload re-run', async () => {
  const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@td7x/source', '--import', 'tsx', main],
    { cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 30_000 },
  );
  expect(stdout).toContain('KILLED    SIGKILL inside the upload');
  // The default 30 s lease, yet no wait: the same-host check finds the killed process gone.
  expect(stdout).toContain('owner     the process that held the run is gone: taken over at once');
  expect(stdout).not.toContain('busy');
  expect(stdout).toContain('cleanup   rollback_upload ran: the half-written upload is deleted');
  expect(stdout).toContain('Attempt 1 ran download, process and died inside upload.');
  expect(stdout).toContain(
    'Attempt 2 ran cleanup rollback_upload, skipped download, process (memoized), re-ran upload.',
  );
  expect(stdout).toContain('Result: {"fileId":"file-42","words":300,"uploaded":350}');
});
