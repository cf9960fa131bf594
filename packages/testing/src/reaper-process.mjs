// The reaper's own process (see reaper.ts), plain JavaScript so that it runs with no loader:
//   node reaper-process.mjs '<plan as JSON>'
// It waits on its stdin, whose other end only its owner holds. `dismiss` (the owner stopped its
// servers itself): exit. End of input without it (the owner died: a crashed test worker, a
// SIGKILL): kill the process named in each pid file, if it is still the program named, then
// remove the directories.
import { readFileSync, rmSync } from 'node:fs';

const plan = JSON.parse(process.argv[2] ?? '{}');
let dismissed = false;

const pidIn = (file) => {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

// A pid file outlives its process, and a pid is reused: kill only the program it was written for.
const runs = (pid, program) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
  } catch {
    return false;
  }
};

const reap = () => {
  for (const { file, program } of plan.pidFiles ?? []) {
    const pid = pidIn(file);
    if (pid === undefined || !runs(pid, program)) continue;
    try {
      process.kill(pid, 'SIGCONT'); // a frozen server (SIGSTOP) dies the same
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  for (const dir of plan.remove ?? []) rmSync(dir, { recursive: true, force: true });
};

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (chunk.includes('dismiss')) dismissed = true;
});
process.stdin.on('end', () => {
  if (!dismissed) reap();
  process.exit(0);
});
process.stdin.on('error', () => {
  if (!dismissed) reap();
  process.exit(0);
});
