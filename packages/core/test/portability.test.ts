/// <reference types="node" />
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

// The core must run unchanged on Node, Bun, Deno and Workers: Web APIs only.
describe('portability of the core', () => {
  const files = sources(join(import.meta.dirname, '../src'));

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files.map((f) => [f.slice(f.indexOf('/src/') + 1), f]))('%s uses no Node-only API', (_, file) => {
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/from ['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/);
  });

  // What needs the host's process table lives beside the core, in `node/` (`@td7x/durable-x/node`).
  it('never imports the Node-only subpath', () => {
    const importers = files.filter((f) => /from ['"][./]*node\//.test(readFileSync(f, 'utf8')));
    expect(importers).toEqual([]);
  });

  // The runtime features looked up rather than required, where there are some: an async context,
  // and a native SHA-256 (the JavaScript one is the fallback: sha256.test.ts).
  it('finds AsyncLocalStorage and node:crypto without importing them, and works without them', () => {
    const lookups = files.filter((f) => readFileSync(f, 'utf8').includes('getBuiltinModule'));
    expect(lookups.map((f) => f.slice(f.indexOf('/src/') + 1)).sort()).toEqual([
      'src/codec/sha256.ts',
      'src/run/body-context.ts',
    ]);
  });
});
