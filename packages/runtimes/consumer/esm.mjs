// Loads every packed package as an ES module (Node, Bun): each name it should export is there, it
// comes from the tarball's `dist/*.js`, and a run completes on the core's memory storage.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const expected = JSON.parse(readFileSync(new URL('./expected.json', import.meta.url), 'utf8'));
for (const [specifier, names] of Object.entries(expected)) {
  const loaded = await import(specifier);
  for (const name of names) assert.notEqual(loaded[name], undefined, `${specifier} exports ${name}`);
  assert.match(import.meta.resolve(specifier), /\/node_modules\/@td7x\/durable-x[^/]*\/dist\/[\w.]+\.js$/);
}

const { complete, durable, load, memoryStorage } = await import('@td7x/durable-x');
const storage = memoryStorage();
const cp = await load(storage)({})('esm-run');
assert.equal(await durable(storage)(cp)('answer')({})(() => 42), 42);
await complete(storage)(cp);
console.log(`esm.mjs: ${Object.keys(expected).length} entry points imported from dist, a run completed`);
