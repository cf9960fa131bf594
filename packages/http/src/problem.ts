import type { HttpResponse } from './response.ts';

const encoder = new TextEncoder();

/**
 * An answer the middleware gives on its own, as `application/problem+json` (RFC 9457), with the
 * status codes of the IETF Idempotency-Key draft: 400 (key missing or malformed), 409 (the same
 * key is being processed), 422 (the key was used for another request).
 */
export const problem = (
  status: number,
  title: string,
  detail: string,
  headers: readonly (readonly [string, string])[] = [],
): HttpResponse => ({
  status,
  headers: [['content-type', 'application/problem+json'], ...headers],
  body: encoder.encode(JSON.stringify({ type: 'about:blank', title, status, detail })),
});
