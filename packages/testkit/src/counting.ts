import {
  OPTIONAL_STORAGE_OPERATIONS,
  type OptionalStorageOperation,
  STORAGE_OPERATIONS,
  type Storage,
  type StorageOperation,
} from '@td7x/durable-x';

export type CountingStorage = Storage & {
  /** Contract calls made so far, by operation. */
  readonly calls: Partial<Record<StorageOperation | OptionalStorageOperation, number>>;
  total(): number;
};

/**
 * Wraps a storage and counts contract calls: what the core costs per operation. The operations
 * come from the core's own `STORAGE_OPERATIONS`, so a new one is forwarded (and counted) without
 * a change here; of `OPTIONAL_STORAGE_OPERATIONS`, those the storage has (so the core sees what
 * the backend can do); the optional properties are read through, since the core reads them per load.
 */
export const countingStorage = (inner: Storage): CountingStorage => {
  const calls: Partial<Record<StorageOperation | OptionalStorageOperation, number>> = {};
  const wrapped: Record<string, unknown> = {
    name: inner.name,
    calls,
    total: () => Object.values(calls).reduce((a, b) => a + b, 0),
  };
  for (const property of ['maxValueBytes', 'ownerPrefix', 'signalLimits', 'liveness'] as const) {
    Object.defineProperty(wrapped, property, { enumerable: true, get: () => inner[property] });
  }
  const present = OPTIONAL_STORAGE_OPERATIONS.filter((operation) => typeof inner[operation] === 'function');
  for (const operation of [...STORAGE_OPERATIONS, ...present]) {
    wrapped[operation] = (request: never) => {
      calls[operation] = (calls[operation] ?? 0) + 1;
      return (inner[operation] as (r: never) => Promise<unknown>).call(inner, request);
    };
  }
  return wrapped as unknown as CountingStorage;
};
