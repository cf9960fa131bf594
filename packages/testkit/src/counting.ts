import type { Storage } from '@td7x/durable-x';

export const CONTRACT_METHODS = [
  'claim',
  'putStep',
  'putCleanup',
  'removeCleanup',
  'rollback',
  'setLease',
  'finish',
  'read',
  'list',
  'purge',
] as const;

export type ContractMethod = (typeof CONTRACT_METHODS)[number];

export type CountingStorage = Storage & {
  /** Contract calls made so far, by method. */
  readonly calls: Partial<Record<ContractMethod, number>>;
  total(): number;
};

/** Wraps a storage and counts contract calls: what the core costs per operation. */
export const countingStorage = (inner: Storage): CountingStorage => {
  const calls: Partial<Record<ContractMethod, number>> = {};
  const wrapped: Record<string, unknown> = {
    name: inner.name,
    maxValueBytes: inner.maxValueBytes,
    calls,
    total: () => Object.values(calls).reduce((a, b) => a + b, 0),
  };
  for (const method of CONTRACT_METHODS) {
    wrapped[method] = (request: never) => {
      calls[method] = (calls[method] ?? 0) + 1;
      return (inner[method] as (r: never) => Promise<unknown>).call(inner, request);
    };
  }
  return wrapped as unknown as CountingStorage;
};
