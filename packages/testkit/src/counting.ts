import type { OptionalStorageOperation, Storage, StorageOperation } from '@td7x/durable-x';
import { type Around, interceptStorage } from './intercept.ts';

export type CountingStorage = Storage & {
  /** Contract calls made so far, by operation. */
  readonly calls: Partial<Record<StorageOperation | OptionalStorageOperation, number>>;
  total(): number;
};

/**
 * Wraps a storage and counts contract calls: what the core costs per operation. Built on
 * `interceptStorage`, so every operation the core lists (and each optional one the storage has)
 * is forwarded and counted, and every other property is read through.
 */
export const countingStorage = (inner: Storage): CountingStorage => {
  const calls: Partial<Record<StorageOperation | OptionalStorageOperation, number>> = {};
  const count: Around = (operation, request, send) => {
    calls[operation] = (calls[operation] ?? 0) + 1;
    return send(request);
  };
  return interceptStorage(inner, count, {
    calls,
    total: () => Object.values(calls).reduce((a, b) => a + b, 0),
  });
};
