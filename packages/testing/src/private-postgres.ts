import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';
import { startReaper } from './reaper.ts';

const run = promisify(execFile);
const SCRIPTS = fileURLToPath(new URL('../../../scripts/', import.meta.url));
const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';

/** pg_ctl must not run as root: run it as `postgres` when we are root, as the start script does. */
const pgCtl = (args: readonly string[]) =>
  process.getuid?.() === 0
    ? run('runuser', ['-u', 'postgres', '--', `${PGBIN}/pg_ctl`, ...args])
    : run(`${PGBIN}/pg_ctl`, [...args]);

/**
 * A PostgreSQL server of the caller's own (scripts/start-services.sh with SERVICES=postgres in a
 * temp dir, on a free port, durable settings), so that crash-stopping, freezing or restarting it
 * disturbs no other test file or process. Used by the Postgres adapter's outage tests and by the
 * torture campaign (Postgres, and the database behind the Windmill API stand-in).
 */
export const startPrivatePostgres = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-pg-outage-'));
  const port = await freePort();
  // PG_DURABLE=1: the throw-away default (synchronous_commit=off) loses the last ~200 ms of commits
  // on a crash-stop, which is not the server a user runs and would make the outage test meaningless.
  const env = {
    ...process.env,
    SERVICES: 'postgres',
    SERVICES_DIR: dir,
    PG_PORT: String(port),
    PG_DURABLE: '1',
  };
  const data = join(dir, 'pg');
  // If this process dies first, the reaper stops whatever postmaster the data dir names then.
  const reaper = startReaper({
    pidFiles: [{ file: join(data, 'postmaster.pid'), program: 'postgres' }],
    remove: [dir],
  });
  await run('bash', [join(SCRIPTS, 'start-services.sh')], { env });
  const postmasterPid = (): number =>
    Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  /** The postmaster and its backends, by pid (never by name: other servers run on this machine). */
  const processes = async (): Promise<number[]> => {
    const root = postmasterPid();
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(root)]);
    return [root, ...stdout.split('\n').filter(Boolean).map(Number)];
  };
  const signal = async (sig: NodeJS.Signals) => {
    for (const pid of await processes()) process.kill(pid, sig);
  };
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    /** Its folder (the data dir is `pg` in it), removed by `close`. */
    dir,
    /** The postmaster's pid now (a restart changes it). */
    pid: postmasterPid,
    /** Crash-stop: like pulling the plug, no checkpoint, connections cut. */
    stopImmediately: () => pgCtl(['stop', '-D', data, '-m', 'immediate', '-w']),
    /** Start again with the same options (pg_ctl reuses postmaster.opts); runs crash recovery. */
    restart: () => pgCtl(['restart', '-D', data, '-w', '-l', join(data, 'server.log')]),
    /** Freeze every server process (a hung server: connections stay open, nothing answers). */
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    /**
     * Stops the server that runs now (a restart changed its pid: stop-services.sh, reading the pid
     * the start wrote, would miss it and leave it running on a deleted folder), frozen or not, and
     * only then removes its folder.
     */
    close: async () => {
      await signal('SIGCONT').catch(() => {});
      await pgCtl(['stop', '-D', data, '-m', 'immediate', '-w']).catch(async () => {
        // pg_ctl could not stop it (already gone, or not answering): kill what the data dir names.
        await signal('SIGKILL').catch(() => {});
      });
      rmSync(dir, { recursive: true, force: true });
      reaper.dismiss();
    },
  };
};

export type PrivatePostgres = Awaited<ReturnType<typeof startPrivatePostgres>>;
