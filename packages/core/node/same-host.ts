import { type Liveness, type LivenessCheck, ownerIdentity, parseOwner } from '../src/shared.ts';
import { type ProcessView, thisHostView } from './process-view.ts';

const KIND = 'host';

/** Compares two start times in clock ticks, which may exceed 2^53. */
const startedLater = (seen: string, recorded: string): boolean => BigInt(seen) > BigInt(recorded);

/** The answer for one owner, as `view` sees this host. Exported for tests (any view). */
export const hostLivenessWith = (view: ProcessView | undefined): LivenessCheck => {
  if (!view) return { check: () => 'unknown' };
  const { self } = view;
  return {
    identity: ownerIdentity(KIND, self.host, self.boot, self.pidns, String(self.pid), self.start),
    check: (owner): Liveness => {
      const parsed = parseOwner(owner);
      if (parsed?.kind !== KIND || parsed.fields.length !== 5) return 'unknown';
      const [host = '', boot = '', pidns = '', pidText = '', start = ''] = parsed.fields;
      if (!view.sameTable(host, boot, pidns)) return 'unknown';
      const pid = Number(pidText);
      if (!/^\d+$/.test(pidText) || !Number.isSafeInteger(pid) || pid <= 0) return 'unknown';
      // Our own pid: this very process (a concurrent load of the same run), or one that had
      // the pid before us, and is therefore gone.
      if (pid === self.pid) return start === self.start ? 'alive' : 'dead';
      const seen = view.inspect(pid);
      if (seen.state !== 'running') return seen.state === 'gone' ? 'dead' : 'unknown';
      if (start === '' || seen.start === '') return 'unknown';
      if (seen.start === start) return 'alive';
      // The pid was reused by a process started after the owner: the owner is gone.
      return startedLater(seen.start, start) ? 'dead' : 'unknown';
    },
  };
};

/**
 * A liveness check for runs held by processes on this host, for `load(storage, { liveness })`:
 * a run whose owner process is gone (killed, crashed, exited without releasing), or whose pid now
 * belongs to a process started later, is taken over at once instead of waiting out its lease.
 * Owner tokens name the host, its boot, the pid namespace, the pid and the process's start.
 *
 * On Linux (`/proc`): exact. Elsewhere: only a pid that no longer exists answers `dead` (a reused
 * pid is `unknown`), and the host is recognised by its name and boot time. A run held on another
 * host or container is `unknown`: the lease decides. Node, Bun and Deno: Deno reads `/proc` only
 * under `--allow-all`; with less it falls back to the pid-existence view (`--allow-sys` and
 * `--allow-run`), and knows nothing without those (every answer `unknown`, as today).
 */
export const sameHostLiveness = (): LivenessCheck => hostLivenessWith(thisHostView());
