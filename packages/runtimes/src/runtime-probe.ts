/**
 * A vitest setup file of the runtime matrix (see ../README.md): it runs in the worker before each
 * test file and fails that file unless the worker is the runtime the matrix asked for. vitest
 * starts its workers with the runtime that started it; this proves it did, for every file.
 */
const asked = process.env.DX_RUNTIME;
const scope = globalThis as { Bun?: unknown; Deno?: unknown };
const running = scope.Bun !== undefined ? 'bun' : scope.Deno !== undefined ? 'deno' : 'node';
if (asked !== running) {
  throw new Error(`runtime matrix: this test file was meant to run on ${asked}, but runs on ${running}`);
}
