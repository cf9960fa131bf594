// Loads every packed package with `require` (Node, Bun): each name it should export is there, it
// comes from the tarball's `dist/*.cjs`, and a run completes on the core's memory storage.
const assert = require('node:assert/strict');
const expected = require('./expected.json');

// The testkit is ESM only (the suite imports vitest, which refuses CommonJS): its exports offer no
// `require`, so Node answers ERR_PACKAGE_PATH_NOT_EXPORTED and Bun MODULE_NOT_FOUND.
const esmOnly = '@td7x/durable-x-testkit';
assert.throws(
  () => require(esmOnly),
  (e) => ['ERR_PACKAGE_PATH_NOT_EXPORTED', 'MODULE_NOT_FOUND'].includes(e.code),
);

for (const [specifier, names] of Object.entries(expected)) {
  if (specifier === esmOnly) continue;
  const loaded = require(specifier);
  for (const name of names) assert.notEqual(loaded[name], undefined, `${specifier} exports ${name}`);
  assert.match(require.resolve(specifier), /\/node_modules\/@td7x\/durable-x[^/]*\/dist\/[\w.]+\.cjs$/);
}

const { complete, durable, load, memoryStorage } = require('@td7x/durable-x');
(async () => {
  const storage = memoryStorage();
  const cp = await load(storage)({})('cjs-run');
  assert.equal(await durable(storage)(cp)('answer')({})(() => 42), 42);
  await complete(storage)(cp);
  console.log(
    `cjs.cjs: ${Object.keys(expected).length - 1} entry points required from dist, a run completed`,
  );
})();
