import {
  OPTIONAL_STORAGE_OPERATIONS,
  type OptionalStorageOperation,
  STORAGE_OPERATIONS,
  type Storage,
  type StorageOperation,
} from '@td7x/durable-x';

/** Sends a request on to the wrapped storage, and resolves its answer. */
export type Send = (request: unknown) => Promise<unknown>;

/**
 * What stands between the core and the storage for every contract call: it may count, delay,
 * drop, repeat or refuse, and calls `send` to pass the request on (zero, one or more times).
 */
export type Around = (
  operation: StorageOperation | OptionalStorageOperation,
  request: unknown,
  send: Send,
) => Promise<unknown>;

/**
 * A storage that routes every contract operation of `inner` through `around`. The operations
 * come from the core's own `STORAGE_OPERATIONS`, so a new one is intercepted without a change
 * here, and of `OPTIONAL_STORAGE_OPERATIONS` those `inner` has (one it lacks stays absent, so the
 * core sees what the backend can do); every other property (`name`, `maxValueBytes`, `signalLimits`, …) is read through from
 * `inner` at each access, so the core sees what the wrapped storage says, whatever it adds.
 * `own` adds properties of the wrapper's own (a counter, a switch).
 */
export const interceptStorage = <Own extends object = object>(
  inner: Storage,
  around: Around,
  own: Own = {} as Own,
): Storage & Own => {
  const mine = new Map<PropertyKey, unknown>(Object.entries(own));
  const present = OPTIONAL_STORAGE_OPERATIONS.filter((operation) => typeof inner[operation] === 'function');
  for (const operation of [...STORAGE_OPERATIONS, ...present]) {
    const send: Send = (request) =>
      (inner[operation] as (r: unknown) => Promise<unknown>).call(inner, request);
    mine.set(operation, (request: unknown) => around(operation, request, send));
  }
  // A Proxy, so that a property the wrapped storage adds later is still read through; `has`,
  // `ownKeys` and the descriptors agree with `get`, so `{ ...wrapped }` copies the wrapper's own.
  return new Proxy(inner, {
    get: (target, property) => (mine.has(property) ? mine.get(property) : Reflect.get(target, property)),
    has: (target, property) => mine.has(property) || Reflect.has(target, property),
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(target), ...mine.keys()])] as (string | symbol)[],
    getOwnPropertyDescriptor: (target, property) =>
      mine.has(property)
        ? { value: mine.get(property), enumerable: true, configurable: true, writable: true }
        : Reflect.getOwnPropertyDescriptor(target, property),
  }) as Storage & Own;
};
