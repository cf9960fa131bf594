import { err, ok } from 'neverthrow';
import {
  type Checked,
  checkFunction,
  checkNumber,
  checkOptionalNumber,
  invalid,
  MAX_TIMER_MS,
} from '../arguments.ts';

/**
 * How a step retries in process: `attempts` in all (the first included), waiting between them
 * `initialDelayMs × factor^(n−1)`, capped at `maxDelayMs`, each wait shortened at random by up to
 * `jitter` (a fraction) so that many runs failing together do not retry together. Failed
 * attempts are recorded, so a crash between two attempts does not reset the count.
 */
export interface RetryPolicy {
  readonly attempts: number;
  /** Default 1000. */
  readonly initialDelayMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** Default 60 000. */
  readonly maxDelayMs?: number;
  /** 0 to 1. Default 0.2. */
  readonly jitter?: number;
  /**
   * Retry this error? Called after the `attempt`-th failure; default: every error is retried.
   * One that throws counts as no.
   */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
}

/** Every number of a policy in range (a zero `attempts` would fail the run without running the step). */
export const checkRetryPolicy = (policy: RetryPolicy): Checked<RetryPolicy> => {
  if (typeof policy !== 'object' || policy === null) return invalid('retry', 'expected an object');
  const checks = [
    checkNumber('retry.attempts', policy.attempts, { min: 1, max: 1_000_000, integer: true }),
    checkOptionalNumber('retry.initialDelayMs', policy.initialDelayMs, { min: 0, max: MAX_TIMER_MS }),
    checkOptionalNumber('retry.factor', policy.factor, { min: 1, max: 1_000 }),
    checkOptionalNumber('retry.maxDelayMs', policy.maxDelayMs, { min: 0, max: MAX_TIMER_MS }),
    checkOptionalNumber('retry.jitter', policy.jitter, { min: 0, max: 1 }),
    checkFunction('retry.shouldRetry', policy.shouldRetry),
  ];
  for (const check of checks) if (check.isErr()) return err(check.error);
  return ok(policy);
};

/**
 * Throw it (or return it in an `Err`) from a step to stop retrying at once: the step fails,
 * and with a retry policy the run fails. Recognised by name, so a second install works too.
 */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

export const isNonRetryable = (error: unknown): boolean =>
  error instanceof Error && error.name === 'NonRetryableError';

/** Whether the `attempt`-th failure (from 1) with `error` gets another attempt. */
export const retryable = (policy: RetryPolicy, error: unknown, attempt: number): boolean => {
  if (attempt >= policy.attempts || isNonRetryable(error)) return false;
  try {
    return policy.shouldRetry?.(error, attempt) ?? true;
  } catch {
    return false;
  }
};

/** The wait after the `attempt`-th failure, in ms. */
export const backoffMs = (
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number => {
  const base = (policy.initialDelayMs ?? 1000) * (policy.factor ?? 2) ** (attempt - 1);
  const capped = Math.min(policy.maxDelayMs ?? 60_000, base);
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.2));
  return Math.round(capped * (1 - jitter * random()));
};
