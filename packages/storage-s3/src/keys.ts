import { sha256Hex } from '@td7x/durable-x';

/**
 * Object keys. Run ids are arbitrary Unicode (≤ 256 characters, so up to 1024 bytes of UTF-8),
 * and S3 keys are at most 1024 bytes: an id is stored under a readable escaped form when that is
 * short, else under its SHA-256. Both forms are pure ASCII from S3's "safe" set, so no tool,
 * proxy or URL normalisation can turn `../`, `%2F` or two Unicode spellings into the same key.
 * The exact id is also stored inside the run document and checked on every read.
 */

const encoder = new TextEncoder();

/** The longest user prefix we accept: leaves room for the run key and a value id under 1024 bytes. */
export const MAX_PREFIX_BYTES = 256;

/** Escaped ids longer than this are stored by hash instead (keeps every key far below 1024 bytes). */
const READABLE_MAX = 200;

const isSafe = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) || // 0-9
  (byte >= 0x41 && byte <= 0x5a) || // A-Z
  (byte >= 0x61 && byte <= 0x7a) || // a-z
  byte === 0x2d || // -
  byte === 0x2e || // .
  byte === 0x5f; // _

/**
 * Every UTF-8 byte outside `[A-Za-z0-9._-]` becomes `!XX` (uppercase hex). `!` is itself escaped,
 * so the mapping is injective: `a/b` → `a!2Fb`, `a%2Fb` → `a!252Fb`.
 */
export const escapeRunId = (runId: string): string => {
  let out = '';
  for (const byte of encoder.encode(runId)) {
    out += isSafe(byte) ? String.fromCharCode(byte) : `!${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
};

/** `id.<escaped>` or `sha256.<hex>`: the two forms never collide (different first letters). */
export const runKeyOf = async (runId: string): Promise<string> => {
  const readable = escapeRunId(runId);
  return readable.length <= READABLE_MAX ? `id.${readable}` : `sha256.${await sha256Hex(runId)}`;
};

export const utf8Bytes = (text: string): number => encoder.encode(text).length;

/** Where each object of a namespace lives (see README "Object layout"). */
export interface Layout {
  /** Prefix under which every run document lives (one LIST of it finds every run). */
  readonly runs: string;
  /** The run document: head, lease, steps and cleanups. */
  runDocument(runKey: string): string;
  /** Folder of one incarnation's out-of-line values (a purged and re-created run gets a new one). */
  values(runKey: string, incarnation: string): string;
  value(runKey: string, incarnation: string, id: string): string;
}

export const layoutOf = (prefix: string): Layout => {
  if (utf8Bytes(prefix) > MAX_PREFIX_BYTES) {
    throw new TypeError(`durable-x s3: prefix is longer than ${MAX_PREFIX_BYTES} bytes`);
  }
  return {
    runs: `${prefix}runs/`,
    runDocument: (runKey) => `${prefix}runs/${runKey}`,
    values: (runKey, incarnation) => `${prefix}values/${runKey}/${incarnation}/`,
    value: (runKey, incarnation, id) => `${prefix}values/${runKey}/${incarnation}/${id}`,
  };
};
