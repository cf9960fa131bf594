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
  /** A throw-away object of `verifyConditionalWrites`. */
  probe(id: string): string;
}

/**
 * The folders the adapter makes under a prefix. No segment of a prefix may be one of them, so
 * that no namespace's objects can fall under another's (README "Prefixes").
 */
export const RESERVED_SEGMENTS = ['runs', 'values', 'probe'] as const;

/** Characters of a prefix segment: S3's "safe" characters, nothing a tool or proxy would rewrite. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Why `prefix` cannot name a namespace, or undefined when it can. A prefix is '' or folders that
 * each end with `/`. Two valid prefixes never overlap: when one starts with the other, the longer
 * one continues with a folder of its own, and every object of the shorter one lives under one of
 * the reserved folders, which no valid prefix contains.
 */
export const prefixProblem = (prefix: string): string | undefined => {
  if (utf8Bytes(prefix) > MAX_PREFIX_BYTES) return `is longer than ${MAX_PREFIX_BYTES} bytes`;
  if (prefix === '') return undefined;
  if (!prefix.endsWith('/')) return "must be '' or end with '/'";
  for (const segment of prefix.slice(0, -1).split('/')) {
    if (!SEGMENT.test(segment)) {
      return `has a folder ${JSON.stringify(segment)}: folders are made of A-Z a-z 0-9 . _ - (no empty folder)`;
    }
    if (segment === '.' || segment === '..') return `has a folder ${JSON.stringify(segment)}`;
    if ((RESERVED_SEGMENTS as readonly string[]).includes(segment.toLowerCase())) {
      return `has a folder named ${JSON.stringify(segment)}, which the adapter uses itself (reserved: ${RESERVED_SEGMENTS.join(', ')})`;
    }
  }
  return undefined;
};

/** The layout of a namespace; a TypeError, before any request, for a prefix that could overlap another. */
export const layoutOf = (prefix: string): Layout => {
  const problem = prefixProblem(prefix);
  if (problem !== undefined) {
    throw new TypeError(`durable-x s3: prefix ${JSON.stringify(prefix)} ${problem}`);
  }
  return {
    runs: `${prefix}runs/`,
    runDocument: (runKey) => `${prefix}runs/${runKey}`,
    values: (runKey, incarnation) => `${prefix}values/${runKey}/${incarnation}/`,
    value: (runKey, incarnation, id) => `${prefix}values/${runKey}/${incarnation}/${id}`,
    probe: (id) => `${prefix}probe/${id}`,
  };
};

/** Whether a key listed under `layout.runs` can be a run document (anything else is not ours). */
export const isRunKey = (runKey: string): boolean =>
  /^(id\.[A-Za-z0-9._!-]{1,200}|sha256\.[0-9a-f]{64})$/.test(runKey);
