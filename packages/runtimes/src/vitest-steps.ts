import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cell } from './cells.ts';
import { runProcess } from './run-process.ts';
import { environmentFor, nodeProgramOn } from './runtimes.ts';
import type { Step } from './step.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
// vitest's own command line (its package.json `bin`), which its exports do not name.
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const config = fileURLToPath(new URL('./vitest.config.ts', import.meta.url));

/** vitest itself on the cell's runtime, in the package's directory, with the runtime probe. */
export const vitestStep = (cell: Cell): Step => {
  const [binary, args] = nodeProgramOn(cell.runtime, vitest);
  return {
    label: `${cell.runtime} · ${cell.dir}${cell.files.length ? ` ${cell.files.join(' ')}` : ''}`,
    proves: cell.proves,
    run: () =>
      runProcess(binary, [...args, 'run', '--config', config, ...cell.files], {
        cwd: join(repoRoot, cell.dir),
        env: environmentFor(cell.runtime),
      }),
  };
};
