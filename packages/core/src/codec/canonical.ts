import { toTagged } from './tagged.ts';

/**
 * The canonical text of a step input: tagged JSON with object keys, Map entries and Set members
 * sorted, so that `{a, b}` and `{b, a}` hash alike in every process, runtime and machine.
 * Independent of the user's codec on purpose: a memo key must not change when the codec does.
 */
export const canonicalText = (input: unknown): string => JSON.stringify(toTagged(input, true));
