import type { RunStatus } from '@td7x/durable-x';

/**
 * Every run status, in one place: the CHECK constraint of `runs.status`, the parser of a row and
 * the closed set `list` / `purge` accept all come from it, so a status the core adds cannot be
 * accepted by one and refused by another.
 */
export const RUN_STATUSES = [
  'running',
  'completed',
  'failed',
  'compensated',
  'suspended',
  'cancelled',
] as const satisfies readonly RunStatus[];

/** A compile error on `Listed` names a status of the core that this list (and the CHECK) lacks. */
type Listed<Unlisted extends never> = Unlisted;
export type UnlistedStatus = Listed<Exclude<RunStatus, (typeof RUN_STATUSES)[number]>>;

export const isRunStatus = (value: unknown): value is RunStatus =>
  (RUN_STATUSES as readonly unknown[]).includes(value);
