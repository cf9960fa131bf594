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

/**
 * Runs user code that may return a value, a promise, a `Result` or a `ResultAsync`, or throw.
 * Never throws: a thrown error or an `Err` comes back as `err(cause)`.
 */
export const runUserCode = async (fn: () => unknown): Promise<Result<unknown, unknown>> => {
  try {
    const value = await fn();
    if (!isResultLike(value)) return ok(value);
    return value.isErr() ? err(value.error) : ok(value.value);
  } catch (cause) {
    return err(cause);
  }
};
