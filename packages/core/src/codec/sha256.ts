/**
 * SHA-256, synchronous. A step key is hashed on every step call, replays included; Web Crypto's
 * `subtle.digest` is asynchronous and, on Node, hops to the libuv thread pool and back: measured
 * ~60 µs per 20-byte input on a 2-core machine, more than a local Redis or SQLite write.
 *
 * The runtime's own hash is used where there is one (Node, Bun and Deno expose `node:crypto`
 * through `process.getBuiltinModule`: found at run time, never imported, so that the core bundles
 * for any runtime), checked against known digests before it is trusted; elsewhere (workerd without
 * `nodejs_compat`, browsers) the plain JavaScript version below, which gives the same digest
 * (tests compare both on random and Unicode inputs, lone surrogates included: each encodes them as
 * U+FFFD).
 */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const encoder = new TextEncoder();
// Reused message schedule: the function is synchronous, so no two calls share it at once.
const W = new Uint32Array(64);

/** SHA-256 of the UTF-8 bytes of `text`, as 64 lowercase hex digits, in plain JavaScript. */
export const sha256HexJs = (text: string): string => {
  const bytes = encoder.encode(text);
  const length = bytes.length;
  // Message + 0x80 + zero padding + 64-bit big-endian bit length, a multiple of 64 bytes.
  const padded = (length + 9 + 63) & ~63;
  const block = new Uint8Array(padded);
  block.set(bytes);
  block[length] = 0x80;
  const view = new DataView(block.buffer);
  view.setUint32(padded - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded - 4, (length << 3) >>> 0);

  let h0 = 0x6a09e667;
  let h1 = 0xbb67ae85;
  let h2 = 0x3c6ef372;
  let h3 = 0xa54ff53a;
  let h4 = 0x510e527f;
  let h5 = 0x9b05688c;
  let h6 = 0x1f83d9ab;
  let h7 = 0x5be0cd19;

  for (let offset = 0; offset < padded; offset += 64) {
    for (let t = 0; t < 16; t++) W[t] = view.getUint32(offset + t * 4);
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15] as number;
      const w2 = W[t - 2] as number;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[t] = ((W[t - 16] as number) + s0 + (W[t - 7] as number) + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let h = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + (K[t] as number) + (W[t] as number)) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  let hex = '';
  for (const word of [h0, h1, h2, h3, h4, h5, h6, h7]) hex += (word >>> 0).toString(16).padStart(8, '0');
  return hex;
};

interface NodeCryptoLike {
  hash?: (algorithm: string, data: string, encoding: 'hex') => string;
  createHash?: (algorithm: string) => {
    update(data: string, encoding: 'utf8'): { digest(encoding: 'hex'): string };
  };
}

/** Inputs whose digests a native hash must reproduce before it replaces the JavaScript one. */
const PROBES = ['', 'abc', 'é🚀\u0000x', '\ud800 lone', 'a'.repeat(200)];

const agrees = (hash: (text: string) => string): boolean => {
  try {
    return PROBES.every((probe) => hash(probe) === sha256HexJs(probe));
  } catch {
    return false;
  }
};

/** The runtime's SHA-256, when it has one that gives the same digests; else undefined. */
export const findNativeSha256 = (): ((text: string) => string) | undefined => {
  let crypto: NodeCryptoLike | undefined;
  try {
    const scope = globalThis as {
      process?: { getBuiltinModule?: (id: string) => NodeCryptoLike | undefined };
    };
    crypto = scope.process?.getBuiltinModule?.('node:crypto');
  } catch {
    return undefined;
  }
  const { hash, createHash } = crypto ?? {};
  // `crypto.hash` (Node ≥ 20.12, 21.7) is one call; `createHash` the older, slower way.
  const candidates = [
    typeof hash === 'function' ? (text: string) => hash('sha256', text, 'hex') : undefined,
    typeof createHash === 'function'
      ? (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')
      : undefined,
  ];
  return candidates.find((candidate) => candidate !== undefined && agrees(candidate));
};

/** SHA-256 of the UTF-8 bytes of `text`, as 64 lowercase hex digits: native where available. */
export const sha256HexSync: (text: string) => string = findNativeSha256() ?? sha256HexJs;
