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

export const signalRecord = (
  codec: Codec,
  maxBytes: number | undefined,
  name: string,
  received: Received,
  at: number,
): Result<StepRecord, NotEncodable | PayloadTooLarge> =>
  encodeValue(
    codec,
    maxBytes,
    'payload',
    received.kind === 'signal' ? { signal: received.payload } : { timeout: true },
  ).map((output) => ({ key: signalKey(name), name, seq: 0, output, at }));

export const receivedOf = (codec: Codec, runId: string, record: StepRecord): Result<Received, NotDecodable> =>
  decodeValue(codec, runId, `signal ${record.name}`, record.output).andThen((value) => {
    if (typeof value === 'object' && value !== null) {
      if ('signal' in value) return ok<Received, NotDecodable>({ kind: 'signal', payload: value.signal });
      if ('timeout' in value) return ok<Received, NotDecodable>({ kind: 'timeout' });
    }
    return err<Received, NotDecodable>({
      type: 'NotDecodable',
      runId,
      what: `signal ${record.name}`,
      cause: 'not a signal record',
    });
  });
