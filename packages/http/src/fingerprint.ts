/**
 * What a request is, for telling a retry of it from another request that reuses its key: the
 * method, the path with its query string, and the SHA-256 of the body bytes. Headers are left out
 * (a retry may carry another `Date`, trace id or auth token and still be the same request).
 */
export interface RequestShape {
  readonly method: string;
  /** Path and query string, as sent (`/payments?dryRun=1`). */
  readonly path: string;
  readonly body: Uint8Array;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const hex = (bytes: ArrayBuffer): string => {
  let out = '';
  for (const byte of new Uint8Array(bytes)) out += HEX[byte];
  return out;
};

const sha256 = async (bytes: Uint8Array): Promise<string> =>
  hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));

/** `METHOD path sha256(body)`: readable in `describeRun`, and equal only for the same request. */
export const fingerprintOf = async (request: RequestShape): Promise<string> =>
  `${request.method.toUpperCase()} ${request.path} ${await sha256(request.body)}`;
