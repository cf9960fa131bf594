/**
 * `@td7x/durable-x-http`: Idempotency-Key handling for HTTP APIs on durable-x, framework-neutral.
 * Framework adapters are subpaths: `@td7x/durable-x-http/hono`.
 */
export {
  type Admission,
  type IdempotencyOptions,
  type IdempotentRun,
  type IncomingRequest,
  idempotency,
  type Outcome,
  REPLAYED_HEADER,
  REQUEST_STEP,
  RESPONSE_STEP,
} from './engine.ts';
export { fingerprintOf, type RequestShape } from './fingerprint.ts';
export { parseKey } from './key.ts';
export type { HttpResponse } from './response.ts';
