import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { quickStarts } from './extract.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../', import.meta.url));
const GENERATED = join(PACKAGE, 'generated');
const require = createRequire(import.meta.url);
const tsx = pathToFileURL(require.resolve('tsx')).href;
/** The binary of the pinned `bun` npm package (a devDependency). */
const bun = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');

/**
 * A README's quick start as a file of this package (so that it resolves the workspace packages):
 * the stand-ins it assumes are imported first, the block follows verbatim, then `epilogue`
 * (what the test's user does with it: call the exported function, wait for the job). `as` names
 * the file (under generated/) when another block imports it by name.
 */
export const generate = (
  readme: string,
  name: string,
  prelude: string,
  epilogue = '',
  as?: string,
): string => {
  const block = quickStarts(join(REPO, readme)).find((q) => q.name === name);
  if (!block) throw new Error(`${readme} has no block marked <!-- quick-start: ${name} -->`);
  const file = join(GENERATED, as ?? `${readme.replace(/[^\w]+/g, '-')}-${name}.ts`);
  mkdirSync(dirname(file), { recursive: true });
  const header = `// Generated from ${readme}:${block.line} by packages/quick-starts/test; do not edit.\n`;
  writeFileSync(file, `${header}${prelude}\n${block.code}\n${epilogue}\n`);
  return file;
};

/** tsc over the generated files, with the repository's strict settings. Resolves tsc's output. */
export const typecheck = async (files: readonly string[]): Promise<string> => {
  const config = join(GENERATED, 'tsconfig.json');
  writeFileSync(config, JSON.stringify({ extends: '../tsconfig.json', include: files, compilerOptions: {} }));
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', config], { cwd: PACKAGE });
    return '';
  } catch (e) {
    return (e as { stdout?: string }).stdout ?? String(e);
  }
};

/** A fresh working directory, as a user's project would have (SQLite files land there). */
export const workdir = (): string => mkdtempSync(join(tmpdir(), 'dx-quick-start-'));

export interface RunOptions {
  readonly cwd: string;
  readonly env?: Record<string, string>;
  /** `node --import tsx` (default), or `bun`, which runs TypeScript itself. */
  readonly runtime?: 'node' | 'bun';
}

/** `node <file>` (or `bun <file>`) with the workspace packages from source. */
export const run = (file: string, options: RunOptions): ChildProcess =>
  spawn(
    options.runtime === 'bun' ? bun : process.execPath,
    options.runtime === 'bun'
      ? ['--conditions=@td7x/source', file]
      : ['--conditions=@td7x/source', '--import', tsx, file],
    { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );

/** Runs it to the end; rejects with its stderr when it fails. */
export const runToEnd = (file: string, options: RunOptions & { timeoutMs?: number }): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = run(file, options);
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${file} exited ${code ?? signal}:\n${out}\n${err}`));
    });
  });

/** Lines the child prints, as they come. */
export const lines = (child: ChildProcess) => {
  const seen: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      seen.push(line);
      for (const w of waiters.splice(0)) {
        if (w.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  return {
    seen,
    /** Resolves with the first line (already seen or to come) that passes `test`. */
    next: (test: (line: string) => boolean): Promise<string> => {
      const found = seen.find(test);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
};
