import { RUN_STATUSES, type RunStatus } from '@td7x/durable-x';

/**
 * The CHECK constraint of `runs.status`, the parser of a row and the closed set `list` / `purge`
 * accept all come from the core's list, so a status the core adds cannot be accepted by one and
 * refused by another.
 */
export { RUN_STATUSES };

export const isRunStatus = (value: unknown): value is RunStatus =>
  (RUN_STATUSES as readonly unknown[]).includes(value);
