import { TAG } from './tagged.ts';

/*
 * The fast path of the codec and of the canonical input text: most values are plain JSON (plain
 * objects and arrays of strings, finite numbers, booleans and null). For those, the tagged tree
 * of tagged.ts is the value itself, so building it (a copy of every node, a path string per node)
 * is wasted work. These functions answer the same text as `JSON.stringify(toTagged(value, …))`,
 * or `undefined` as soon as the value holds anything else (a tag, a refusal, a cycle): the caller
 * then takes the tagged path, which encodes it or throws the precise `EncodeError`.
 */

/** Deeper than this, the tagged path takes over (and names a cycle if there is one). */
const MAX_DEPTH = 512;

/** Thrown (never escapes this module) when the value is not plain. */
const NOT_PLAIN: unique symbol = Symbol('not plain');

/** Own keys of a plain object, or NOT_PLAIN (symbol or non-enumerable keys, a `$dx` key). */
const plainKeys = (value: object): string[] => {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  const keys = Object.keys(value);
  if (Object.getOwnPropertySymbols(value).length > 0) throw NOT_PLAIN;
  if (Object.getOwnPropertyNames(value).length !== keys.length) throw NOT_PLAIN;
  if (Object.hasOwn(value, TAG)) throw NOT_PLAIN;
  return keys;
};

/**
 * Up to this many items, an array's own property names are all listed to find a non-enumerable
 * extra one; listing a name per item costs ~100 ns, more than serializing a number, so longer
 * arrays are checked for enumerable and symbol-keyed extras only (`Object.keys`, ~35 ns an item).
 */
const LISTED_ITEMS = 1024;

/** A dense array with nothing but its items (and `length`), or NOT_PLAIN. */
const checkArray = (value: unknown[]): void => {
  if (Object.getPrototypeOf(value) !== Array.prototype) throw NOT_PLAIN;
  const length = value.length;
  for (let i = 0; i < length; i++) if (!(i in value)) throw NOT_PLAIN;
  // Own properties beyond the items and `length` (named or symbol-keyed) would be dropped.
  if (length <= LISTED_ITEMS) {
    if (Reflect.ownKeys(value).length !== length + 1) throw NOT_PLAIN;
  } else if (Object.getOwnPropertySymbols(value).length > 0 || Object.keys(value).length !== length) {
    throw NOT_PLAIN;
  }
};

/** -0, NaN and ±Infinity are tagged: JSON cannot say them. */
const isPlainNumber = (n: number): boolean => Number.isFinite(n) && !Object.is(n, -0);

const validate = (value: unknown, depth: number): void => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!isPlainNumber(value)) throw NOT_PLAIN;
      return;
    case 'object': {
      if (value === null) return;
      if (depth > MAX_DEPTH) throw NOT_PLAIN;
      if (Array.isArray(value)) {
        checkArray(value);
        for (let i = 0; i < value.length; i++) validate(value[i], depth + 1);
        return;
      }
      const keys = plainKeys(value);
      for (let i = 0; i < keys.length; i++) {
        validate((value as Record<string, unknown>)[keys[i] as string], depth + 1);
      }
      return;
    }
    default:
      throw NOT_PLAIN;
  }
};

/**
 * `JSON.stringify(value)` when `value` is plain JSON, which is then exactly what the tagged path
 * would write; else undefined. The value is walked once to check it, then serialized natively.
 */
export const plainJson = (value: unknown): string | undefined => {
  try {
    validate(value, 0);
  } catch (thrown) {
    if (thrown === NOT_PLAIN) return undefined;
    throw thrown;
  }
  return JSON.stringify(value);
};

/**
 * The sorted order of the last few key lists seen, by first key: objects built the same way (the
 * rows of a result) share one list, and comparing it is cheaper than sorting it again.
 */
const orders = new Map<string, { readonly keys: readonly string[]; readonly sorted: string[] | undefined }>();
const MAX_ORDERS = 64;

const sameKeys = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** `keys` sorted, or undefined when it already is (then the object needs no reordering). */
const sortedOrder = (keys: string[]): string[] | undefined => {
  if (keys.length < 2) return undefined;
  const first = keys[0] as string;
  const known = orders.get(first);
  if (known && sameKeys(known.keys, keys)) return known.sorted;
  let sorted: string[] | undefined;
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      sorted = [...keys].sort();
      break;
    }
  }
  if (orders.size >= MAX_ORDERS) orders.clear();
  orders.set(first, { keys, sorted });
  return sorted;
};

/**
 * The value as `toTagged(value, true)` would write it: every object's keys in sorted order
 * (array-index keys then come first, in numeric order, in both: that is how JS objects order
 * them). A part that needs no reordering is returned as it is, not copied; the result is then
 * serialized natively, which is much faster than building the text in JS.
 */
const sortedCopy = (value: unknown, depth: number): unknown => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!isPlainNumber(value)) throw NOT_PLAIN;
      return value;
    case 'object': {
      if (value === null) return null;
      if (depth > MAX_DEPTH) throw NOT_PLAIN;
      if (Array.isArray(value)) {
        checkArray(value);
        let out: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          const copied = sortedCopy(item, depth + 1);
          if (copied !== item && out === undefined) out = value.slice(0, i);
          if (out !== undefined) out.push(copied);
        }
        return out ?? value;
      }
      const keys = plainKeys(value);
      const sorted = sortedOrder(keys);
      const record = value as Record<string, unknown>;
      let changed = sorted !== undefined;
      const items: unknown[] = new Array(keys.length);
      const order = sorted ?? keys;
      for (let i = 0; i < order.length; i++) {
        const item = record[order[i] as string];
        const copied = sortedCopy(item, depth + 1);
        if (copied !== item) changed = true;
        items[i] = copied;
      }
      if (!changed) return value;
      const out: { [key: string]: unknown } = {};
      for (let i = 0; i < order.length; i++) {
        const key = order[i] as string;
        // Plain assignment of `__proto__` would set the prototype instead of storing the key.
        if (key === '__proto__') {
          Object.defineProperty(out, key, {
            value: items[i],
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          out[key] = items[i];
        }
      }
      return out;
    }
    default:
      throw NOT_PLAIN;
  }
};

/**
 * `JSON.stringify(toTagged(value, true))` when `value` is plain JSON (keys sorted as the tagged
 * path sorts them); else undefined. Reads each property once, as the tagged path does.
 */
export const plainCanonicalJson = (value: unknown): string | undefined => {
  let copy: unknown;
  try {
    copy = sortedCopy(value, 0);
  } catch (thrown) {
    if (thrown === NOT_PLAIN) return undefined;
    throw thrown;
  }
  return JSON.stringify(copy);
};
