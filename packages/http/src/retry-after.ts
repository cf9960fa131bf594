import type { RunSnapshot } from '@td7x/durable-x';

/**
 * How long a concurrent duplicate should wait before asking again, in whole seconds (at least 1).
 *
 * The holder's lease is no guide while the holder works: it is renewed every third of `leaseMs`,
 * so it always looks ~`leaseMs` away, while the request usually ends much sooner. So:
 * - the holder wrote a step or renewed its lease within the last renewal period (`leaseMs / 3`):
 *   it is at work; answer the time left of a typical request (`expectedMs` minus what it has run),
 *   at least one second and never past its lease;
 * - it has been silent longer: it may have died; the run can be taken over when its lease ends,
 *   so answer that.
 */
export const retryAfterSeconds = (
  snapshot: RunSnapshot | undefined,
  now: number,
  timing: { readonly leaseMs: number; readonly expectedMs: number; readonly startedAt: number | undefined },
): number => {
  if (snapshot === undefined) return 1; // gone meanwhile (purged, or it just ended): ask again now
  const head = snapshot.run;
  const lastActivity = Math.max(head.updatedAt, ...snapshot.steps.map((s) => s.at));
  const leaseLeft = head.leaseExpiresAt - now;
  const atWork = now - lastActivity < timing.leaseMs / 3;
  const elapsed = now - (timing.startedAt ?? head.updatedAt);
  const wait = atWork ? Math.min(Math.max(timing.expectedMs - elapsed, 0), leaseLeft) : leaseLeft;
  return Math.max(1, Math.ceil(wait / 1000));
};
