/**
 * `@td7x/durable-x`: the value-returning API of the README's quick start. `await step(...)` yields
 * the value; any failure throws a `DurableXError` whose `.error` is the typed `DurableError`.
 * The same operations returning `ResultAsync` live in `@td7x/durable-x/result`.
 */
export * from './api/value-api.ts';
export * from './shared.ts';
