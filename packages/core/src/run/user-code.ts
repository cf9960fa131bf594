import { err, ok, type Result } from 'neverthrow';

/** A neverthrow Result, recognised by shape so that a second copy of neverthrow works too. */
interface ResultLike {
  isOk(): boolean;
  isErr(): boolean;
  value?: unknown;
  error?: unknown;
}

const isResultLike = (x: unknown): x is ResultLike =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as ResultLike).isOk === 'function' &&
  typeof (x as ResultLike).isErr === 'function';

const fromValue = (value: unknown): Result<unknown, unknown> => {
  if (!isResultLike(value)) return ok(value);
  return value.isErr() ? err(value.error) : ok(value.value);
};

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

/**
 * Runs user code `fn(argument)` that may return a value, a promise, a `Result` or a
 * `ResultAsync`, or throw. Never throws: a thrown error or an `Err` comes back as `err(cause)`.
 * A function that answers synchronously is answered synchronously (no promise to wait for).
 */
export const runUserCode = <A>(
  fn: (argument: A) => unknown,
  argument: A,
): Result<unknown, unknown> | Promise<Result<unknown, unknown>> => {
  let value: unknown;
  try {
    value = fn(argument);
  } catch (cause) {
    return err(cause);
  }
  return isThenable(value)
    ? Promise.resolve(value).then(fromValue, (cause: unknown) => err(cause))
    : fromValue(value);
};
