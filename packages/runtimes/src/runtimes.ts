import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Runtime = 'bun' | 'deno';

const require = createRequire(import.meta.url);

/** The binaries of the pinned `bun` and `deno` npm packages (devDependencies of this package). */
export const binaryOf: Record<Runtime, string> = {
  bun: join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe'),
  deno: join(dirname(require.resolve('deno/package.json')), 'deno'),
};

/** The command line that runs a Node program (a path) on `runtime`, in its Node-compatible mode. */
export const nodeProgramOn = (runtime: Runtime, program: string): [string, string[]] =>
  runtime === 'bun'
    ? // --bun: run the program on Bun even though its shebang names node.
      [binaryOf.bun, ['--bun', program]]
    : // vitest starts workers, reads and writes files and opens sockets: all permissions.
      [binaryOf.deno, ['run', '--allow-all', program]];

/** `bun 1.4.5`, `deno 2.9.6`: the first line of `--version`, named. */
export const versionOf = (runtime: Runtime): string => {
  const line = execFileSync(binaryOf[runtime], ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  return `${runtime} ${line
    .replace(/^\S+ /, '')
    .replace(/ \(.*$/, '')
    .trim()}`;
};

/** The environment every runtime gets: no update checks, prompts or telemetry; which runtime it is. */
export const environmentFor = (runtime: Runtime): NodeJS.ProcessEnv => ({
  ...process.env,
  DX_RUNTIME: runtime,
  DENO_NO_UPDATE_CHECK: '1',
  DENO_NO_PROMPT: '1',
  DO_NOT_TRACK: '1',
});
