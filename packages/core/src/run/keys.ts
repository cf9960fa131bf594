/*
 * Where the core keeps its own records among a run's steps. A step's key is `name#<64 hex>`;
 * every key below ends in something that is not 64 hex digits, so no step can ever collide with
 * one, whatever its name. Storage adapters see ordinary step records.
 */

/** The first signal (or the timeout) of a wait; `seq` 0, so no rollback removes it. */
export const signalKey = (name: string): string => `${name}#signal`;

/** When a durable sleep ends, recorded the first time the sleep is reached. */
export const sleepKey = (name: string): string => `${name}#sleep`;

/** When a wait for a signal times out, recorded the first time the wait is reached. */
export const waitKey = (name: string): string => `${name}#wait`;

/** The n-th failed attempt of a step with a retry policy (n from 1). */
export const attemptKey = (stepKey: string, n: number): string => `${stepKey}#attempt${n}`;

/** True for the record of a failed attempt. */
export const isAttemptKey = (key: string): boolean => /#attempt\d+$/.test(key);

/** How many failed attempts of a step are recorded: they are numbered from 1 without gaps. */
export const failedAttempts = (records: ReadonlyMap<string, unknown>, stepKey: string): number => {
  let n = 0;
  while (records.has(attemptKey(stepKey, n + 1))) n++;
  return n;
};

/**
 * The n-th risky window of a name (n from 1, counted in the order the workflow opens them) was
 * closed by `afterSafe`. Written before the cleanup is removed, so a replay that meets the window
 * again knows it is done; a rollback of an older cleanup forgets it with the window's steps.
 */
export const safeKey = (name: string, n: number): string => `${name}#safe${n}`;

/** The version of the code that ran the run's steps (`load`'s `version` option). */
export const VERSION_KEY = '#version';

const STEP_KEY = /#[0-9a-f]{64}$/;

/** True for a memoized step, false for the core's own records above. */
export const isStepKey = (key: string): boolean => STEP_KEY.test(key);
