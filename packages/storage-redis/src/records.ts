import type { CleanupRecord, RunHead, RunStatus, StepRecord } from '@td7x/durable-x';

/**
 * How records are stored as Redis strings.
 *
 * A step or cleanup is `JSON([name, seq, at]) + "\n" + value`: the encoded value follows the
 * newline byte for byte (no JSON escaping, so no growth), and the JSON part cannot contain a raw
 * newline. The step key and the cleanup id are the hash fields, so they are not repeated.
 */
export const encodeStep = (step: StepRecord): string =>
  `${JSON.stringify([step.name, step.seq, step.at])}\n${step.output}`;

export const decodeStep = (key: string, stored: string): StepRecord => {
  const { meta, value } = split(stored);
  const [name, seq, at] = meta as [string, number, number];
  return { key, name, seq, output: value, at };
};

export const encodeCleanup = (cleanup: CleanupRecord): string =>
  `${JSON.stringify([cleanup.name, cleanup.seq, cleanup.at])}\n${cleanup.params}`;

export const decodeCleanup = (id: string, stored: string): CleanupRecord => {
  const { meta, value } = split(stored);
  const [name, seq, at] = meta as [string, number, number];
  return { id: Number(id), name, seq, params: value, at };
};

const split = (stored: string): { meta: unknown; value: string } => {
  const newline = stored.indexOf('\n');
  return { meta: JSON.parse(stored.slice(0, newline)), value: stored.slice(newline + 1) };
};

/** A HGETALL reply (`[field, value, …]`) of a head hash. Absent `owner`/`error` mean null. */
export const decodeHead = (flat: readonly string[]): RunHead => {
  const field = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) field.set(flat[i] as string, flat[i + 1] as string);
  const number = (name: string) => Number(field.get(name));
  return {
    runId: field.get('runId') as string,
    status: field.get('status') as RunStatus,
    owner: field.get('owner') ?? null,
    leaseExpiresAt: number('lease'),
    attempt: number('attempt'),
    createdAt: number('createdAt'),
    updatedAt: number('updatedAt'),
    error: field.get('error') ?? null,
  };
};

/** A HGETALL reply of a records hash, decoded with `decode(field, value)`. */
export const decodeAll = <T>(flat: readonly string[], decode: (field: string, value: string) => T): T[] => {
  const out: T[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(decode(flat[i] as string, flat[i + 1] as string));
  return out;
};

/** Order of `list`: by updatedAt, then run id by code point (= UTF-8 byte order, as in Lua). */
export const byAge = (a: RunHead, b: RunHead): number =>
  a.updatedAt - b.updatedAt || compareCodePoints(a.runId, b.runId);

export const compareCodePoints = (a: string, b: string): number => {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
};
