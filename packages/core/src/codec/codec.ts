import { plainJson } from './plain.ts';
import { fromTagged, TAG, type Tagged, toTagged } from './tagged.ts';

/**
 * Turns step outputs, cleanup params and errors into the strings a storage keeps, and back.
 * `encode` throws when a value cannot be encoded (an `EncodeError` names where); the core turns
 * that into a typed `NotEncodable` before anything is written. Replace it to add types,
 * encryption or compression; every process working on a run must use the same codec.
 */
export interface Codec {
  encode(value: unknown): string;
  decode(text: string): unknown;
}

/**
 * JSON plus `Date`, `BigInt`, `Map`, `Set`, `undefined`, `Uint8Array`, `NaN`, `±Infinity` and
 * `-0`. Functions, symbols, cycles and class instances are refused rather than silently mangled,
 * so a value read back is always the value that was stored.
 */
export const defaultCodec: Codec = {
  // Plain JSON values (the usual case) are checked, then serialized natively (plain.ts).
  encode: (value) => plainJson(value) ?? JSON.stringify(toTagged(value, false)),
  decode: (text) => {
    const tree = JSON.parse(text) as Tagged;
    // Fast path: a payload without tags is plain JSON already.
    return text.includes(`"${TAG}"`) ? fromTagged(tree) : tree;
  },
};
