import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainCanonicalJson, plainJson } from '../src/codec/plain.ts';
import { toTagged } from '../src/codec/tagged.ts';
import { canonicalText, defaultCodec, EncodeError, sha256Hex } from '../src/index.ts';

/** A value the codec would have to mangle; each must be refused at its path instead. */
const mangled = (): [string, unknown, string][] => {
  const withExtra = Object.assign([1, 2], { note: 'x' });
  const dated = Object.assign(new Date(0), { tz: 'UTC' });
  const sym = Symbol('s');
  const hidden = {};
  Object.defineProperty(hidden, 'secret', { value: 1, enumerable: false });
  // biome-ignore lint/suspicious/noSparseArray: the hole is the point
  const sparse = [1, , 3];
  class Bytes extends Uint8Array {}
  return [
    ['a symbol-keyed property', { ok: 1, [sym]: 2 }, '$'],
    ['an array with an extra property', { list: withExtra }, '$.list'],
    ['a sparse array', { list: sparse }, '$.list[1]'],
    ['a Date with its own property', [dated], '$[0]'],
    ['a non-enumerable property', { h: hidden }, '$.h'],
    ['a subclass of Uint8Array (a Buffer)', { b: new Bytes(2) }, '$.b'],
    ['a Map with its own property', Object.assign(new Map(), { x: 1 }), '$'],
  ];
};

describe('what the codec cannot give back is refused, with its path', () => {
  it.each(mangled())('%s', (_, value, path) => {
    for (const encode of [() => defaultCodec.encode(value), () => canonicalText(value)]) {
      let thrown: unknown;
      try {
        encode();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(EncodeError);
      expect((thrown as EncodeError).path).toBe(path);
    }
  });

  it('so a step key of { [symbol]: 1 } is never the key of {}', () => {
    expect(() => canonicalText({ [Symbol('x')]: 1 })).toThrow(EncodeError);
    expect(canonicalText({})).toBe('{}');
  });
});

describe('defaultCodec', () => {
  it('round-trips JSON plus the extra types, nested', () => {
    const value = {
      d: new Date(1_700_000_000_123),
      bad: new Date(Number.NaN),
      b: -(2n ** 80n),
      m: new Map<unknown, unknown>([
        [new Date(0), new Set([1n])],
        [{ k: 1 }, undefined],
      ]),
      u: new Uint8Array(70_000).map((_, i) => i % 256),
      nums: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1.5],
      nested: { $dx: { $dx: 'deep' }, arr: [undefined, null, [new Set()]] },
    };
    const back = defaultCodec.decode(defaultCodec.encode(value)) as typeof value;
    expect(back).toEqual(value);
    expect(Object.is(back.nums[3], -0)).toBe(true);
    expect(back.u).toBeInstanceOf(Uint8Array);
  });

  it('keeps plain JSON as plain JSON', () => {
    expect(defaultCodec.encode({ a: [1, 'x', null, true] })).toBe('{"a":[1,"x",null,true]}');
  });

  it('round-trips any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(defaultCodec.decode(defaultCodec.encode(value))).toEqual(value);
      }),
    );
  });

  it('names where a value cannot be encoded', () => {
    const cyclic: { a: unknown[] } = { a: [] };
    cyclic.a.push(cyclic);
    const cases: [unknown, string][] = [
      [{ f: () => 1 }, '$.f'],
      [cyclic, '$.a[0]'],
      [{ s: Symbol('x') }, '$.s'],
      [{ e: new Error('x') }, '$.e'],
      [[new (class Point {})()], '$[0]'],
    ];
    for (const [value, path] of cases) {
      const thrown = (() => {
        try {
          defaultCodec.encode(value);
        } catch (e) {
          return e;
        }
      })();
      expect(thrown).toBeInstanceOf(EncodeError);
      expect((thrown as EncodeError).path).toBe(path);
    }
  });

  it('allows a shared (non-cyclic) reference', () => {
    const shared = { x: 1 };
    expect(defaultCodec.decode(defaultCodec.encode([shared, shared]))).toEqual([{ x: 1 }, { x: 1 }]);
  });
});

describe('canonical input and its hash', () => {
  it('ignores object key order, Map and Set insertion order, but not array order', () => {
    expect(canonicalText({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalText({ a: { c: 3, d: 2 }, b: 1 }));
    expect(
      canonicalText(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ).toBe(
      canonicalText(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    );
    expect(canonicalText(new Set([1, 2]))).toBe(canonicalText(new Set([2, 1])));
    expect(canonicalText([1, 2])).not.toBe(canonicalText([2, 1]));
    expect(canonicalText({ a: 1 })).not.toBe(canonicalText({ a: '1' }));
    expect(canonicalText(new Date(0))).not.toBe(canonicalText(0));
  });

  it('is a fixed text, so every process, runtime and machine hashes alike', async () => {
    // Pinned on purpose: changing the canonical form would orphan every stored memo.
    const input = { z: [1, 'two', null], a: new Date(0), n: 10n, s: new Set(['b', 'a']), u: undefined };
    expect(canonicalText(input)).toBe(
      '{"a":{"$dx":"date","v":0},"n":{"$dx":"bigint","v":"10"},"s":{"$dx":"set","v":["a","b"]},"u":{"$dx":"undef"},"z":[1,"two",null]}',
    );
    // NIST FIPS 180-2 test vector for "abc".
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex('é🚀')).toBe(await sha256Hex('\u00e9\u{1f680}'));
  });

  it('gives equal inputs equal text whatever the key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalText(reversed)).toBe(canonicalText(dict));
      }),
    );
  });
});

describe('the plain-JSON fast path writes exactly what the tagged path writes', () => {
  /** Keys that move in a JS object (array indices), keys the codec escapes, and ordinary ones. */
  const key = fc.oneof(
    fc.string(),
    fc.constantFrom('0', '1', '10', '9', '01', '4294967294', '4294967295', '-1', '$dx', '__proto__', 'v'),
  );
  const leaf = fc.oneof(
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(undefined, -0, Number.NaN, 5n, new Date(7)),
  );
  const value = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('tree'), { maxLength: 5 }),
    object: fc.array(fc.tuple(key, tie('tree')), { maxLength: 5 }).map((entries) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries)
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      return out;
    }),
  })).tree;

  it('canonical text and codec output equal the tagged path (property)', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalText(v)).toBe(JSON.stringify(toTagged(v, true)));
        expect(plainCanonicalJson(v) ?? JSON.stringify(toTagged(v, true))).toBe(
          JSON.stringify(toTagged(v, true)),
        );
        expect(defaultCodec.encode(v)).toBe(JSON.stringify(toTagged(v, false)));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the fast path for plain JSON and leaves everything else to the tagged path', () => {
    expect(plainJson({ a: [1, 'x', null, true], b: { c: 1.5 } })).toBe(
      '{"a":[1,"x",null,true],"b":{"c":1.5}}',
    );
    expect(plainCanonicalJson({ b: 1, a: { 10: 0, 9: 0, z: 0, y: 0 } })).toBe(
      '{"a":{"9":0,"10":0,"y":0,"z":0},"b":1}',
    );
    for (const v of [
      { $dx: 1 },
      [undefined],
      { d: new Date(0) },
      -0,
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      [1, , 2],
      Object.assign([1], { x: 1 }),
    ]) {
      expect(plainJson(v)).toBeUndefined();
      expect(plainCanonicalJson(v)).toBeUndefined();
    }
  });
});
