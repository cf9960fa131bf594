import type { Storage } from '@td7x/durable-x';
import type { Output } from '../output/output.ts';

/** What every command is given: the opened storage, where to write, and the time. */
export interface Context {
  readonly storage: Storage;
  readonly out: Output;
  readonly now: () => number;
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export const mapLimit = async <T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      results[k] = await fn(items[k] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};
