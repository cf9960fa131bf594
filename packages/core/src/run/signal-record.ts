import { err, ok, type Result } from 'neverthrow';
import type { Codec } from '../codec/codec.ts';
import type { NotDecodable, NotEncodable, PayloadTooLarge } from '../errors.ts';
import type { StepRecord } from '../storage/contract.ts';
import { signalKey } from './keys.ts';
import { decodeValue, encodeValue } from './values.ts';

/**
 * What a signal record holds: the payload a sender gave, or the timeout the waiting run decided.
 * Both race for the same first-wins record, so a late signal can never contradict a timeout that
 * code after the wait already acted on, nor the other way round.
 */
export type Received<T = unknown> =
  | { readonly kind: 'signal'; readonly payload: T }
  | { readonly kind: 'timeout' };

/** Default bounds on what signals may add to one run (a storage may declare lower ones). */
export const SIGNAL_LIMITS = { perRun: 256, bytes: 64 * 1024 } as const;

/**
 * The record of a signal or a timeout. A signal carries a token unique to its sending, so that a
 * sender whose request arrived twice recognises its own record in the `exists` answer. The shape
 * survives a plain JSON codec (a missing payload is `undefined`).
 */
export const signalRecord = (
  codec: Codec,
  maxBytes: number | undefined,
  name: string,
  received: Received,
  at: number,
): Result<StepRecord, NotEncodable | PayloadTooLarge> => {
  const value =
    received.kind === 'signal'
      ? { kind: 'signal', payload: received.payload, from: crypto.randomUUID() }
      : { kind: 'timeout' };
  return encodeValue(codec, maxBytes, 'payload', value).andThen((output) => {
    const record = { key: signalKey(name), name, seq: 0, output, at };
    // A codec that cannot give it back would store a signal no load can read, for good.
    return receivedOf(codec, '', record).isOk()
      ? ok(record)
      : err<StepRecord, NotEncodable>({
          type: 'NotEncodable',
          what: 'payload',
          path: '$',
          reason: 'the codec does not give the signal back as it was sent',
        });
  });
};

export const receivedOf = (codec: Codec, runId: string, record: StepRecord): Result<Received, NotDecodable> =>
  decodeValue(codec, runId, `signal ${record.name}`, record.output).andThen((value) => {
    const stored = value as { kind?: unknown; payload?: unknown } | null;
    if (typeof stored === 'object' && stored !== null) {
      if (stored.kind === 'signal')
        return ok<Received, NotDecodable>({ kind: 'signal', payload: stored.payload });
      if (stored.kind === 'timeout') return ok<Received, NotDecodable>({ kind: 'timeout' });
    }
    return err<Received, NotDecodable>({
      type: 'NotDecodable',
      runId,
      what: `signal ${record.name}`,
      cause: 'not a signal record',
    });
  });
