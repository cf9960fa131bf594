declare const parsed: unique symbol;
/** A well-formed key: 1–200 printable ASCII characters. */
export type ParsedKey = string & { readonly [parsed]: true };

const KEY = /^[\x20-\x7e]{1,200}$/;

/**
 * The `Idempotency-Key` header: a bare token (`Idempotency-Key: 8e03…`, as most APIs send it) or
 * a structured-field string (`Idempotency-Key: "8e03…"`, as the IETF draft writes it; the quotes
 * are dropped). Printable ASCII only, at most 200 characters, so that the run id stays within the
 * core's 256 characters with a namespace and a scope.
 */
export const parseKey = (
  header: string | undefined,
): { readonly ok: true; readonly key: ParsedKey } | { readonly ok: false; readonly reason: string } => {
  if (header === undefined || header.trim() === '') {
    return { ok: false, reason: 'This endpoint requires an Idempotency-Key header.' };
  }
  const trimmed = header.trim();
  const key =
    trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  if (!KEY.test(key)) {
    return { ok: false, reason: 'An Idempotency-Key is 1 to 200 printable ASCII characters.' };
  }
  return { ok: true, key: key as ParsedKey };
};
