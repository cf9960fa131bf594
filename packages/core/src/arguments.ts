import { err, ok, type Result } from 'neverthrow';
import type { InvalidArgument } from './errors.ts';

/*
 * Checks of the numbers, times and counts a caller passes, before any I/O. A NaN lease would make
 * a run busy forever, an Infinity wake time would be stored for good and refused by every later
 * load, a zero batch would loop forever: each is answered here with a typed `InvalidArgument`.
 */

export type Checked<T> = Result<T, InvalidArgument>;

export const invalid = (argument: string, reason: string): Checked<never> =>
  err({ type: 'InvalidArgument', argument, reason });

const shown = (value: unknown): string =>
  typeof value === 'number' || typeof value === 'bigint' ? String(value) : typeof value;

/** An options or query object the caller may leave out; `null`, a string or a number is refused. */
export const checkObject = (argument: string, value: unknown): Checked<void> =>
  typeof value === 'object' && value !== null
    ? ok(undefined)
    : invalid(argument, `expected an object, got ${value === null ? 'null' : typeof value}`);

/** The longest timer every runtime honours (setTimeout clamps or fires at once above it). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A finite number ≥ `min` (and ≤ `max`), integer when asked. */
export const checkNumber = (
  argument: string,
  value: unknown,
  bounds: { readonly min: number; readonly max?: number; readonly integer?: boolean },
): Checked<number> => {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return invalid(argument, `expected a finite number, got ${shown(value)}`);
  }
  if (bounds.integer && !Number.isInteger(value))
    return invalid(argument, `expected an integer, got ${value}`);
  if (value < bounds.min) return invalid(argument, `expected at least ${bounds.min}, got ${value}`);
  if (bounds.max !== undefined && value > bounds.max) {
    return invalid(argument, `expected at most ${bounds.max}, got ${value}`);
  }
  return ok(value);
};

/** Optional: absent stays absent. */
export const checkOptionalNumber = (
  argument: string,
  value: unknown,
  bounds: { readonly min: number; readonly max?: number; readonly integer?: boolean },
): Checked<number | undefined> =>
  value === undefined ? ok(undefined) : checkNumber(argument, value, bounds);

/** A page size: an integer from 1 to 10 000. */
export const checkLimit = (argument: string, value: unknown): Checked<number | undefined> =>
  checkOptionalNumber(argument, value, { min: 1, max: 10_000, integer: true });

/** An instant given as a `Date` or epoch ms: valid, and within what a `Date` can hold. */
export const checkInstant = (argument: string, value: unknown): Checked<number> => {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > 8_640_000_000_000_000) {
    return invalid(
      argument,
      `expected a valid Date or epoch milliseconds, got ${value instanceof Date ? 'an invalid Date' : shown(value)}`,
    );
  }
  return ok(ms);
};

export const checkFunction = (argument: string, value: unknown): Checked<undefined> =>
  value === undefined || typeof value === 'function'
    ? ok(undefined)
    : invalid(argument, `expected a function, got ${typeof value}`);
