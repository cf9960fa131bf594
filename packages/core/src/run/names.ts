import { err, ok, type Result } from 'neverthrow';
import type { InvalidName, InvalidRunId } from '../errors.ts';

/** Longest run id, step name or cleanup name, in Unicode characters (code points). */
export const MAX_NAME_CHARS = 256;

const problemWith = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return `expected a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return 'it is empty';
  if (value.includes('\u0000')) return 'it contains a NUL character';
  // A lone surrogate is not a Unicode character: UTF-8 backends would store it as U+FFFD and
  // two distinct ids would collide.
  if (!value.isWellFormed()) return 'it is not well-formed Unicode (lone surrogate)';
  // Count code points, not UTF-16 units: an emoji is one character to a user.
  let chars = 0;
  for (const _ of value)
    if (++chars > MAX_NAME_CHARS) return `it is longer than ${MAX_NAME_CHARS} characters`;
  return undefined;
};

/** A run id is an opaque string of 1–256 Unicode characters (well-formed, no NUL). */
export const checkRunId = (runId: unknown): Result<string, InvalidRunId> => {
  const reason = problemWith(runId);
  return reason === undefined ? ok(runId as string) : err({ type: 'InvalidRunId', runId, reason });
};

/** The refusal of a name, or undefined when it is fine (checked on every step: no allocation). */
export const nameProblem = (kind: InvalidName['kind'], name: unknown): InvalidName | undefined => {
  // The usual case at a glance: at most 256 UTF-16 units are at most 256 characters.
  if (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_NAME_CHARS &&
    !name.includes('\u0000') &&
    name.isWellFormed()
  ) {
    return undefined;
  }
  const reason = problemWith(name);
  return reason === undefined ? undefined : { type: 'InvalidName', kind, name, reason };
};

export const checkName = (kind: InvalidName['kind'], name: unknown): Result<string, InvalidName> => {
  const reason = problemWith(name);
  return reason === undefined ? ok(name as string) : err({ type: 'InvalidName', kind, name, reason });
};
