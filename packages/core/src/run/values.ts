import { err, ok, type Result } from 'neverthrow';
import { canonicalText } from '../codec/canonical.ts';
import type { Codec } from '../codec/codec.ts';
import { sha256HexSync } from '../codec/sha256.ts';
import { EncodeError } from '../codec/tagged.ts';
import type { NotDecodable, NotEncodable, PayloadTooLarge } from '../errors.ts';

const utf8 = new TextEncoder();

const notEncodable = (what: NotEncodable['what'], cause: unknown): NotEncodable =>
  cause instanceof EncodeError
    ? { type: 'NotEncodable', what, path: cause.path, reason: cause.reason }
    : {
        type: 'NotEncodable',
        what,
        path: '$',
        reason: cause instanceof Error ? cause.message : String(cause),
      };

/** Encodes with the run's codec and checks the storage's size limit, before anything is written. */
export const encodeValue = (
  codec: Codec,
  maxBytes: number | undefined,
  what: 'output' | 'params' | 'error' | 'payload',
  value: unknown,
): Result<string, NotEncodable | PayloadTooLarge> => {
  let text: string;
  try {
    text = codec.encode(value);
    if (typeof text !== 'string') throw new Error('the codec did not return a string');
  } catch (cause) {
    return err(notEncodable(what, cause));
  }
  // A UTF-8 byte is at most 3 per UTF-16 unit: measure only when the limit could be reached.
  if (maxBytes !== undefined && text.length * 3 > maxBytes) {
    const bytes = utf8.encode(text).length;
    if (bytes > maxBytes) return err({ type: 'PayloadTooLarge', what, bytes, limit: maxBytes });
  }
  return ok(text);
};

export const decodeValue = (
  codec: Codec,
  runId: string,
  what: string,
  text: string,
): Result<unknown, NotDecodable> => {
  try {
    return ok(codec.decode(text));
  } catch (cause) {
    return err({ type: 'NotDecodable', runId, what, cause });
  }
};

/** `name#sha256(canonical(input))`: the memo key of a step, or why the input cannot be encoded. */
export const stepKey = (name: string, input: unknown): string | NotEncodable => {
  let canonical: string;
  try {
    canonical = canonicalText(input);
  } catch (cause) {
    return notEncodable('input', cause);
  }
  // Synchronous on purpose: Web Crypto's digest costs a thread-pool round trip per step.
  return `${name}#${sha256HexSync(canonical)}`;
};

/** An error as a storable value: `Error`s become `{ name, message }`, others go through the codec. */
export const errorAsValue = (error: unknown): unknown =>
  error instanceof Error ? { name: error.name, message: error.message } : error;
