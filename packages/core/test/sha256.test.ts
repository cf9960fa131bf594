/// <reference types="node" />
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findNativeSha256, sha256HexJs, sha256HexSync } from '../src/codec/sha256.ts';
import { sha256Hex } from '../src/index.ts';

const reference = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

// Memo keys are stored: the synchronous hash must give exactly SHA-256, or resumed runs would
// miss their recorded steps.
describe('sha256HexSync', () => {
  it('matches the published test vectors', () => {
    expect(sha256HexSync('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256HexSync('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256HexSync('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256HexSync('a'.repeat(1_000_000))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('matches node:crypto at every length around the block and padding boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const text = 'x'.repeat(n);
      expect(sha256HexSync(text), `length ${n}`).toBe(reference(text));
    }
  });

  it('matches node:crypto on random Unicode text, lone surrogates included (both encode them as U+FFFD)', () => {
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(2 * (i % 97));
      let units = '';
      for (let j = 0; j < bytes.length; j += 2) units += String.fromCharCode(bytes.readUInt16BE(j));
      const text = `${units}é🚀${i}`;
      expect(sha256HexSync(text)).toBe(reference(text.toWellFormed()));
    }
  });

  it('gives what the Web Crypto sha256Hex gives', async () => {
    for (const text of ['', 'abc', '{"$dx":"undef"}', 'é🚀'.repeat(40), JSON.stringify({ a: [1, 2, 3] })]) {
      expect(sha256HexSync(text)).toBe(await sha256Hex(text));
    }
  });

  it("is the runtime's native hash here (node:crypto, found at run time), and the JavaScript one agrees with it", () => {
    const native = findNativeSha256();
    expect(native).toBeDefined();
    expect(sha256HexSync).not.toBe(sha256HexJs);
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(2 * (i % 131));
      let units = '';
      for (let j = 0; j < bytes.length; j += 2) units += String.fromCharCode(bytes.readUInt16BE(j));
      const text = `${units}é🚀\u0000${'x'.repeat(i)}`;
      expect(sha256HexJs(text), `input ${i}`).toBe(native?.(text));
      expect(sha256HexJs(text)).toBe(reference(text.toWellFormed()));
    }
  });

  it('falls back to the JavaScript hash where the runtime has none', () => {
    const scope = globalThis as { process?: unknown };
    const saved = scope.process;
    try {
      scope.process = undefined;
      expect(findNativeSha256()).toBeUndefined();
      scope.process = { getBuiltinModule: () => ({ hash: () => 'not a digest' }) };
      expect(findNativeSha256()).toBeUndefined();
    } finally {
      scope.process = saved;
    }
  });
});
