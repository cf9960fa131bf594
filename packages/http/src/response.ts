/** A response as the middleware stores and replays it: framework-neutral, bytes for the body. */
export interface HttpResponse {
  readonly status: number;
  /** Lower-case names, in order; a name may repeat. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

/**
 * Headers never stored with a response: they describe one transfer (`date`, `content-length`,
 * hop-by-hop headers) or one client (`set-cookie`: a replay must not hand a session to whoever
 * holds the key). Everything else (content-type, location, your own headers) is replayed.
 */
const NOT_STORED = new Set([
  'connection',
  'content-length',
  'date',
  'keep-alive',
  'set-cookie',
  'transfer-encoding',
]);

/** The headers worth replaying, names lower-cased. */
export const storableHeaders = (
  headers: Iterable<readonly [string, string]>,
): readonly (readonly [string, string])[] =>
  [...headers]
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => !NOT_STORED.has(name));
