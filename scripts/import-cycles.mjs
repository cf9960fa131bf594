#!/usr/bin/env node
// Fails (exit 1) when the sources of a package import each other in a circle. A circle means no
// module of it can be read, tested or replaced alone; the run's state machine in packages/core
// is laid out so that none exists. Follows relative imports (`./x.ts`, `../y`), type-only ones
// included. Usage: node scripts/import-cycles.mjs [src folder…] (default: packages/*/src).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const roots =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync('packages')
        .map((p) => join('packages', p, 'src'))
        .filter((d) => existsSync(d));

const sources = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.m?ts$/.test(name) && !name.endsWith('.d.ts') ? [resolve(path)] : [];
  });

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

const resolveImport = (from, spec) => {
  const base = resolve(dirname(from), spec);
  return [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')].find(
    (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
  );
};

/** Depth-first search; returns the first circle found as a list of files, or undefined. */
const findCircle = (edges) => {
  const state = new Map(); // file → 'open' | 'done'
  const path = [];
  const visit = (file) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const circle = visit(next);
        if (circle) return circle;
      }
    }
    path.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of edges.keys()) {
    if (state.has(file)) continue;
    const circle = visit(file);
    if (circle) return circle;
  }
  return undefined;
};

let failed = false;
for (const root of roots) {
  const edges = new Map(
    sources(root).map((file) => {
      const specs = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
      return [file, [...new Set(specs.map((spec) => resolveImport(file, spec)).filter(Boolean))]];
    }),
  );
  const circle = findCircle(edges);
  if (circle) {
    failed = true;
    console.error(`import circle in ${root}: ${circle.map((f) => relative(process.cwd(), f)).join(' → ')}`);
  }
}
if (failed) process.exit(1);
console.log(`no import circles in ${roots.length} source folders`);
