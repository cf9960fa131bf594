/**
 * The tagged-JSON tree shared by the default codec and the canonical input encoding.
 * JSON values stay as they are; everything JSON cannot say becomes `{ "$dx": tag, "v": … }`,
 * and a user object that happens to own a `$dx` key is escaped as `{ "$dx": "obj", "v": … }`.
 */
export const TAG = '$dx';

export type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };

/** Why and where a value cannot be encoded. Thrown by codecs, turned into `NotEncodable` by the core. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * A refusal on its way up: the path is only built when a value is refused, from the segments
 * each container adds as the refusal passes through it (no path string per node on success).
 */
class Refused {
  readonly segments: string[] = [];
  constructor(readonly reason: string) {}
}

interface Walk {
  /** Sort object keys, Map entries and Set members, for a canonical form. */
  readonly canonical: boolean;
  /** Objects on the current path, to tell a cycle from a shared reference. */
  readonly ancestors: Set<object>;
}

const tag = (name: string, v?: Tagged): Tagged => (v === undefined ? { [TAG]: name } : { [TAG]: name, v });

export const toTagged = (value: unknown, canonical: boolean): Tagged => {
  try {
    return walk(value, { canonical, ancestors: new Set() });
  } catch (thrown) {
    if (!(thrown instanceof Refused)) throw thrown;
    throw new EncodeError(`$${thrown.segments.reverse().join('')}`, thrown.reason);
  }
};

/** How a child is named in a path: `.key`, `[i]`, `<key i>`, `<value i>`, `<member i>`. */
type Segment = 'property' | 'item' | 'key' | 'value' | 'member';

const segmentText = (kind: Segment, at: string | number): string => {
  switch (kind) {
    case 'property':
      return `.${at}`;
    case 'item':
      return `[${at}]`;
    default:
      return `<${kind} ${at}>`;
  }
};

/** Walks `value` as a child of its container: a refusal inside it gets the child's segment. */
const child = (value: unknown, kind: Segment, at: string | number, ctx: Walk): Tagged => {
  try {
    return walk(value, ctx);
  } catch (thrown) {
    if (thrown instanceof Refused) thrown.segments.push(segmentText(kind, at));
    throw thrown;
  }
};

const walk = (value: unknown, ctx: Walk): Tagged => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Object.is(value, -0)) return tag('num', '-0'); // String(-0) is "0"
      return Number.isFinite(value) ? value : tag('num', String(value));
    case 'bigint':
      return tag('bigint', value.toString());
    case 'undefined':
      return tag('undef');
    case 'object':
      return value === null ? null : walkObject(value, ctx);
    default:
      throw new Refused(`a ${typeof value} is not encodable`);
  }
};

const walkObject = (value: object, ctx: Walk): Tagged => {
  if (ctx.ancestors.has(value)) throw new Refused('the value contains a cycle');
  ctx.ancestors.add(value);
  try {
    return walkContainer(value, ctx);
  } finally {
    ctx.ancestors.delete(value);
  }
};

const walkContainer = (value: object, ctx: Walk): Tagged => {
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) return walkArray(value as unknown[], ctx);
  if (proto === Object.prototype || proto === null) return walkPlainObject(value, ctx);
  if (proto === Date.prototype) {
    noOwnProperties(value, 'a Date');
    const time = (value as Date).getTime();
    return tag('date', Number.isNaN(time) ? null : time);
  }
  if (proto === Uint8Array.prototype) {
    noOwnProperties(value, 'a Uint8Array', (value as Uint8Array).length);
    return tag('bytes', bytesToBase64(value as Uint8Array));
  }
  if (proto === Map.prototype) {
    noOwnProperties(value, 'a Map');
    const entries = [...(value as Map<unknown, unknown>)].map(
      ([k, v], i): Tagged => [child(k, 'key', i, ctx), child(v, 'value', i, ctx)],
    );
    return tag('map', ctx.canonical ? sortByJson(entries) : entries);
  }
  if (proto === Set.prototype) {
    noOwnProperties(value, 'a Set');
    const members = [...(value as Set<unknown>)].map((v, i) => child(v, 'member', i, ctx));
    return tag('set', ctx.canonical ? sortByJson(members) : members);
  }
  const kind = (proto?.constructor?.name as string | undefined) ?? 'unknown';
  const hint =
    value instanceof Uint8Array
      ? ' (copy it into a plain Uint8Array)'
      : ' (use a plain object or a custom codec)';
  throw new Refused(`an instance of ${kind} is not encodable${hint}`);
};

/** Dense, and nothing but its items: a hole or an extra property would not come back. */
const walkArray = (value: unknown[], ctx: Walk): Tagged => {
  const out: Tagged[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) {
      const hole = new Refused('a sparse array (hole) is not encodable');
      hole.segments.push(segmentText('item', i));
      throw hole;
    }
    out[i] = child(value[i], 'item', i, ctx);
  }
  noOwnProperties(value, 'an array', value.length);
  return out;
};

const walkPlainObject = (value: object, ctx: Walk): Tagged => {
  const keys = Object.keys(value);
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw new Refused('a symbol-keyed property is not encodable');
  }
  if (Object.getOwnPropertyNames(value).length !== keys.length) {
    throw new Refused('a non-enumerable property is not encodable');
  }
  if (ctx.canonical) keys.sort();
  const out: { [key: string]: Tagged } = {};
  for (const key of keys)
    setOwn(out, key, child((value as Record<string, unknown>)[key], 'property', key, ctx));
  return Object.hasOwn(value, TAG) ? tag('obj', out) : out;
};

/**
 * Dates, byte arrays, Maps, Sets and arrays carry only what the codec writes: a property set on
 * one (or `indices` items, for arrays) would be silently dropped, so it is refused.
 */
const noOwnProperties = (value: object, what: string, indices = 0): void => {
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw new Refused(`${what} with a symbol-keyed property is not encodable`);
  }
  const names = Object.getOwnPropertyNames(value);
  const extra = names.length - indices - (Array.isArray(value) ? 1 : 0); // an array owns `length`
  if (extra > 0) {
    const isItem = (n: string) =>
      (indices > 0 && /^(0|[1-9]\d*)$/.test(n)) || (Array.isArray(value) && n === 'length');
    const name = names.find((n) => !isItem(n)) ?? names[0];
    throw new Refused(`${what} with its own property ${JSON.stringify(name)} is not encodable`);
  }
};

/** Plain assignment of `__proto__` would set the prototype instead of storing the key. */
const setOwn = (target: { [key: string]: unknown }, key: string, value: unknown): void => {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
};

const sortByJson = (items: Tagged[]): Tagged[] =>
  items
    .map((item) => [JSON.stringify(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);

/** Inverse of {@link toTagged} (with `canonical = false`). */
export const fromTagged = (tree: Tagged): unknown => {
  if (tree === null || typeof tree !== 'object') return tree;
  if (Array.isArray(tree)) return tree.map(fromTagged);
  const tagName = tree[TAG];
  if (typeof tagName !== 'string') return untagObject(tree);
  const v = tree.v as Tagged;
  switch (tagName) {
    case 'undef':
      return undefined;
    case 'num':
      return v === '-0' ? -0 : Number(v);
    case 'bigint':
      return BigInt(v as string);
    case 'date':
      return new Date(v === null ? Number.NaN : (v as number));
    case 'bytes':
      return base64ToBytes(v as string);
    case 'map':
      return new Map(
        (v as Tagged[][]).map(([k, val]) => [fromTagged(k as Tagged), fromTagged(val as Tagged)]),
      );
    case 'set':
      return new Set((v as Tagged[]).map(fromTagged));
    case 'obj':
      return untagObject(v as { [key: string]: Tagged });
    default:
      throw new Error(`unknown tag ${JSON.stringify(tagName)}`);
  }
};

const untagObject = (tree: { [key: string]: Tagged }): Record<string, unknown> => {
  const out: { [key: string]: unknown } = {};
  for (const key of Object.keys(tree)) setOwn(out, key, fromTagged(tree[key] as Tagged));
  return out;
};

// Base64 without Buffer (no `node:` imports in core): btoa/atob exist on every runtime we target.
const CHUNK = 0x8000;

const bytesToBase64 = (bytes: Uint8Array): string => {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
};

const base64ToBytes = (text: string): Uint8Array => {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
};
