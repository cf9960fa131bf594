/**
 * JSON for `--json`: decoded values may hold what JSON lacks (the core's codec round-trips BigInt,
 * Map, Set, Date, Uint8Array, undefined). They are written in a plain, documented shape so that
 * `jq` works on every output: BigInt as a decimal string, Map as an array of [key, value] pairs,
 * Set as an array, Uint8Array as base64, undefined as null, non-finite numbers as strings.
 */
export const toJson = (value: unknown, space?: number): string =>
  JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      if (v instanceof Map) return [...v.entries()];
      if (v instanceof Set) return [...v.values()];
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (v instanceof Error) return { name: v.name, message: v.message };
      return v === undefined ? null : v;
    },
    space,
  );
