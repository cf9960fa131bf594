import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from './support.ts';

/** Every published package ships the MIT licence the repository is under, and says so. */
it('every published package has the root LICENSE in its folder and in its files', () => {
  const licence = readFileSync(join(REPO, 'LICENSE'), 'utf8');
  expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) 2026 durable-x contributors\n/);
  const published = readdirSync(join(REPO, 'packages'))
    .map((dir) => join(REPO, 'packages', dir))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => pkg.private !== true);
  expect(published.length).toBeGreaterThanOrEqual(9);
  for (const { dir, pkg } of published) {
    expect(pkg.license, pkg.name).toBe('MIT');
    expect(pkg.files, pkg.name).toContain('LICENSE');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), pkg.name).toBe(licence);
  }
});
