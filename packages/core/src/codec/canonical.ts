import { plainCanonicalJson } from './plain.ts';
import { toTagged } from './tagged.ts';

/**
 * The canonical text of a step input: tagged JSON with object keys, Map entries and Set members
 * sorted, so that `{a, b}` and `{b, a}` hash alike in every process, runtime and machine.
 * Independent of the user's codec on purpose: a memo key must not change when the codec does.
 * Plain JSON inputs take the fast path (plain.ts), which writes the same text.
 */
export const canonicalText = (input: unknown): string => {
  // The usual inputs of a step (an id, a number) need no walk at all.
  if (typeof input === 'string') return JSON.stringify(input);
  if (typeof input === 'number' && Number.isFinite(input) && !Object.is(input, -0)) return `${input}`;
  return plainCanonicalJson(input) ?? JSON.stringify(toTagged(input, true));
};
