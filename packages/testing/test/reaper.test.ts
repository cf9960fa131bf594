import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const OWNER = fileURLToPath(new URL('./fixtures/server-owner.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Alive: its /proc entry exists and it is not a zombie (a killed server its parent has not waited for). */
const alive = (pid: number): boolean => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Polls, as nothing tells this process when an unrelated one ends. */
const gone = async (pid: number, dir: string, timeoutMs = 20_000): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) || existsSync(dir)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
};

describe.each(['redis', 'postgres'])('a private %s server', (kind) => {
  it('is stopped, and its folder removed, when the test process that started it is SIGKILLed', {
    timeout: 90_000,
  }, async () => {
    const owner = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', OWNER, kind], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(owner.stdout.setEncoding('utf8'), 'data')) as [string];
    const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
    expect(alive(pid)).toBe(true);
    owner.kill('SIGKILL');
    await once(owner, 'exit');
    expect(await gone(pid, dir)).toBe(true);
  });
});
