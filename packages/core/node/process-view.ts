/// <reference types="node" />
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname, uptime } from 'node:os';

/**
 * What this host tells of its processes, and of this one. Two views: Linux reads `/proc` (exact:
 * the boot id names the running kernel, the pid namespace which process table a pid belongs to,
 * and a process's start in clock ticks since boot tells a reused pid from its first owner); any
 * other platform only learns whether a pid exists (`kill(pid, 0)`), on a host recognised by its
 * name and its boot time to the second.
 */
export interface ProcessView {
  /** This process, as its owner identity records it. Start is '' where it cannot be read. */
  readonly self: {
    readonly host: string;
    readonly boot: string;
    readonly pidns: string;
    readonly pid: number;
    readonly start: string;
  };
  /** Whether an identity's host, boot and pid namespace are this process's own process table. */
  sameTable(host: string, boot: string, pidns: string): boolean;
  /** Process `pid` now: gone (absent, or a zombie nobody reaped), running since `start`, or unknown. */
  inspect(pid: number):
    | { readonly state: 'gone' }
    | { readonly state: 'running'; readonly start: string }
    | {
        readonly state: 'unknown';
      };
}

const errorCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/**
 * `/proc/<pid>/stat`: the state (3rd field) and the start time in ticks since boot (22nd). The
 * command name (2nd) is in parentheses and may hold spaces and parentheses itself: fields are
 * counted from the last `)`.
 */
export const parseStat = (stat: string): { state: string; start: string } | undefined => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  return state && start && /^\d+$/.test(start) ? { state, start } : undefined;
};

export const linuxView = (): ProcessView => {
  const stat = (pid: number | 'self') => parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const own = stat('self');
  if (!own) throw new Error('unreadable /proc/self/stat');
  const self = {
    host: hostname(),
    boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    pidns: /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '',
    pid: process.pid,
    start: own.start,
  };
  if (!self.boot || !self.pidns) throw new Error('no boot id or pid namespace');
  return {
    self,
    // The boot id is random per boot: equal ids are the same running kernel, whatever the host
    // name says (containers on one kernel share it; their pid namespaces tell them apart).
    sameTable: (_host, boot, pidns) => boot === self.boot && pidns === self.pidns,
    inspect: (pid) => {
      try {
        const seen = stat(pid);
        if (!seen) return { state: 'unknown' };
        return seen.state === 'Z' || seen.state === 'X'
          ? { state: 'gone' }
          : { state: 'running', start: seen.start };
      } catch (error) {
        return errorCode(error) === 'ENOENT' || errorCode(error) === 'ESRCH'
          ? { state: 'gone' }
          : { state: 'unknown' };
      }
    },
  };
};

/** Seconds since the epoch at boot: `now - uptime`, within a second or so. */
const bootSecond = (): number => Math.round(Date.now() / 1000 - uptime());

export const portableView = (): ProcessView => {
  const boot = bootSecond();
  const self = { host: hostname(), boot: String(boot), pidns: '', pid: process.pid, start: '' };
  return {
    self,
    // Rounding makes two readings of one boot differ by a second at most; another machine with
    // the same name booted within two seconds of this one is not told apart.
    sameTable: (host, ownerBoot, pidns) =>
      host === self.host &&
      pidns === '' &&
      /^\d+$/.test(ownerBoot) &&
      Math.abs(Number(ownerBoot) - boot) <= 2,
    inspect: (pid) => {
      try {
        process.kill(pid, 0);
        return { state: 'running', start: '' };
      } catch (error) {
        return errorCode(error) === 'ESRCH' ? { state: 'gone' } : { state: 'unknown' };
      }
    },
  };
};

/** Linux where `/proc` answers, else the portable view; undefined when neither can be built. */
export const thisHostView = (): ProcessView | undefined => {
  try {
    return linuxView();
  } catch {
    try {
      return portableView();
    } catch {
      return undefined; // e.g. Deno without --allow-sys: nothing can be known
    }
  }
};
