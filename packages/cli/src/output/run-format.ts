import { FOREVER, type RunHead, type RunStatus } from '@td7x/durable-x';
import type { Output } from './output.ts';
import { formatSpan } from './time.ts';

/** A status, coloured for a terminal. */
export const statusText = (out: Output, status: RunStatus): string => {
  const c = out.color;
  switch (status) {
    case 'completed':
      return c.green(status);
    case 'running':
      return c.blue(status);
    case 'suspended':
      return c.cyan(status);
    case 'failed':
      return c.red(status);
    case 'compensated':
      return c.yellow(status);
    case 'cancelled':
      return c.magenta(status);
  }
};

/**
 * The lease as an operator reads it: held (and for how long), expired (the owner is gone or
 * stalled: `recover` or a host takes it over), released, or for a parked run when it wakes.
 */
export const leaseText = (out: Output, head: RunHead, now: number): string => {
  const c = out.color;
  if (head.status === 'suspended') {
    if (head.leaseExpiresAt >= FOREVER) return c.dim('on signal');
    return head.leaseExpiresAt <= now ? c.yellow('due') : `wakes in ${formatSpan(head.leaseExpiresAt - now)}`;
  }
  if (head.status !== 'running') return c.dim('—');
  if (head.leaseExpiresAt === 0) return c.yellow('released');
  if (head.leaseExpiresAt <= now) return c.red(`expired ${formatSpan(now - head.leaseExpiresAt)} ago`);
  return c.green(`live ${formatSpan(head.leaseExpiresAt - now)}`);
};

/** Long owner tokens cut in the middle for tables; `--json` has them whole. */
export const shortOwner = (owner: string | null, max = 28): string => {
  if (owner === null) return '—';
  if (owner.length <= max) return owner;
  const half = Math.floor((max - 1) / 2);
  return `${owner.slice(0, half)}…${owner.slice(-half)}`;
};

/** A value shown inline: JSON, cut to `max` characters. */
export const preview = (text: string, max = 60): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;
