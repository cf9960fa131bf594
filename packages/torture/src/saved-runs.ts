import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BACKENDS } from './backends/open.ts';
import type { BackendRun } from './report.ts';

/** Where each backend's last campaign is kept (not committed; docs/reliability.md is). */
const DIR = fileURLToPath(new URL('../.cache/runs/', import.meta.url));

export const saveRun = (run: BackendRun): void => {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(`${DIR}${run.figures.backend}.json`, `${JSON.stringify(run, null, 2)}\n`);
};

/** Every saved backend run, in the order of BACKENDS. */
export const savedRuns = (): BackendRun[] => {
  if (!existsSync(DIR)) return [];
  const files = new Set(readdirSync(DIR));
  return BACKENDS.filter((b) => files.has(`${b}.json`)).map(
    (b) => JSON.parse(readFileSync(`${DIR}${b}.json`, 'utf8')) as BackendRun,
  );
};
