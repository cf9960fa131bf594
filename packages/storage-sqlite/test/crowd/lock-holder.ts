import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

// A separate process so that it holds its lock while this one blocks in a synchronous SQLite call.
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));
`;

/**
 * Another process takes the file's write lock (BEGIN IMMEDIATE, in whatever journal mode the file
 * is) and holds it for `ms`. Resolves once the lock is held; `released` resolves when it exited.
 */
export const holdWriteLock = async (file: string, ms: number): Promise<{ released: Promise<unknown> }> => {
  const child = spawn(process.execPath, ['-e', HOLDER, file, String(ms)], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const released = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), released])) as unknown[];
  if (line !== 'locked') throw new Error('the lock holder exited before taking the lock');
  return { released };
};
