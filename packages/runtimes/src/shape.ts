import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.ts';
import { binaryOf, environmentFor } from './runtimes.ts';
import type { Step } from './step.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('../consumer/', import.meta.url));
const noPgFixture = fileURLToPath(new URL('../consumer-no-pg/', import.meta.url));
/** What the Windmill project without pg installs: the Windmill package and what it depends on. */
const WINDMILL_ONLY = ['@td7x/durable-x', '@td7x/durable-x-postgres', '@td7x/durable-x-windmill'];

interface Published {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** What this repository publishes: every package under packages/ that is not private. */
const publishedPackages = (): Published[] =>
  readdirSync(join(repoRoot, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(repoRoot, 'packages', entry.name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { name: manifest.name, version: manifest.version, private: manifest.private === true, dir };
    })
    .filter((p) => !p.private)
    .map(({ name, version, dir }) => ({ name, version, dir }));

/** The file `pnpm pack` writes for a package: `@td7x/durable-x` 1.0.0 → td7x-durable-x-1.0.0.tgz. */
const tarballOf = (p: Published) => `${p.name.replace('@', '').replace('/', '-')}-${p.version}.tgz`;

/**
 * A consumer project: a fixture (../consumer), with every packed package as a `file:` dependency
 * and override (a published package's own dependency on another, such as the Windmill package's
 * on the Postgres package, resolves to its tarball too, never to the registry). Peers are not
 * installed automatically: the fixture lists the ones it needs (no SQLite driver, whose native
 * build the package shape does not need; no pg in ../consumer-no-pg). Each `.ts` file is copied
 * as .mts and .cts for `node16`, and with `npm:` specifiers for Deno (deno.ts for consumer.ts).
 */
const writeConsumer = (from: string, consumer: string, tarballs: string, packages: readonly Published[]) => {
  cpSync(from, consumer, { recursive: true });
  const files = Object.fromEntries(packages.map((p) => [p.name, `file:${join(tarballs, tarballOf(p))}`]));
  const manifest = JSON.parse(readFileSync(join(consumer, 'package.json'), 'utf8'));
  manifest.dependencies = { ...files, ...manifest.dependencies };
  writeFileSync(join(consumer, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const overrides = Object.entries(files).map(([name, file]) => `  "${name}": "${file}"`);
  writeFileSync(
    join(consumer, 'pnpm-workspace.yaml'),
    ['autoInstallPeers: false', 'allowBuilds:', '  esbuild: true', 'overrides:', ...overrides, ''].join('\n'),
  );
  for (const file of readdirSync(consumer).filter((name) => name.endsWith('.ts'))) {
    const base = file.slice(0, -'.ts'.length);
    copyFileSync(join(consumer, file), join(consumer, `${base}.mts`));
    copyFileSync(join(consumer, file), join(consumer, `${base}.cts`));
    const source = readFileSync(join(consumer, file), 'utf8');
    const deno = base === 'consumer' ? 'deno.ts' : `deno-${file}`;
    writeFileSync(join(consumer, deno), source.replaceAll("from '@td7x/", "from 'npm:@td7x/"));
  }
};

/** Runs commands in order in `cwd`, stopping at the first that fails. */
const all = async (cwd: string, commands: readonly (readonly [string, readonly string[]])[]) => {
  for (const [binary, args] of commands) {
    if (!(await runProcess(binary, args, { cwd, env: environmentFor('bun') }))) return false;
  }
  return true;
};

/**
 * The package shape, checked on `pnpm pack` tarballs installed in a project outside the workspace
 * (no workspace link, no `@td7x/source` condition: what a user installs).
 */
export const shapeSteps = (): Step[] => {
  const work = mkdtempSync(join(tmpdir(), 'dx-shape-'));
  process.once('exit', () => rmSync(work, { recursive: true, force: true }));
  const tarballs = join(work, 'tarballs');
  const consumer = join(work, 'consumer');
  const noPg = join(work, 'consumer-no-pg');
  const packages = publishedPackages();
  let prepared = true;
  const prepare = (run: () => Promise<boolean>) => async () => {
    prepared = prepared && (await run());
    return prepared;
  };
  const check = (run: () => Promise<boolean>) => async () => {
    if (prepared) return run();
    console.log('not run: the consumer project could not be prepared (see above)');
    return false;
  };
  const node = process.execPath;
  const tsc = join(consumer, 'node_modules', 'typescript', 'bin', 'tsc');

  return [
    {
      label: 'shape · pnpm pack, install in a consumer project',
      proves: `${packages.length} published packages pack and install from their tarballs`,
      run: prepare(async () => {
        for (const p of packages) {
          const packed = runProcess('pnpm', ['pack', '--pack-destination', tarballs], {
            cwd: p.dir,
            quiet: true,
          });
          if (!(await packed)) return false;
        }
        writeConsumer(fixture, consumer, tarballs, packages);
        writeConsumer(
          noPgFixture,
          noPg,
          tarballs,
          packages.filter((p) => WINDMILL_ONLY.includes(p.name)),
        );
        return (
          (await runProcess('pnpm', ['install', '--prefer-offline'], { cwd: consumer })) &&
          runProcess('pnpm', ['install', '--prefer-offline'], { cwd: noPg })
        );
      }),
    },
    {
      label: 'shape · node ESM and CJS',
      proves: 'every entry point imports and requires from dist with its exports; a run completes',
      run: check(() =>
        all(consumer, [
          [node, ['esm.mjs']],
          [node, ['cjs.cjs']],
        ]),
      ),
    },
    {
      label: 'shape · TypeScript node16 and bundler',
      proves: 'the import and require types (node16) and the bundler types check, with skipLibCheck off',
      run: check(() =>
        all(consumer, [
          [node, [tsc, '-p', 'tsconfig.node16.json']],
          [node, [tsc, '-p', 'tsconfig.bundler.json']],
        ]),
      ),
    },
    {
      label: 'shape · Windmill without pg',
      proves:
        'a project with the Windmill package but no pg nor @types/pg type-checks (node16, bundler, skipLibCheck off); on Bun, load outside a job names the missing variable',
      run: check(() =>
        all(noPg, [
          [node, [join(noPg, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.node16.json']],
          [node, [join(noPg, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.bundler.json']],
          [binaryOf.bun, ['windmill.ts']],
        ]),
      ),
    },
    {
      label: 'shape · bun ESM, CJS and TypeScript',
      proves: 'Bun imports, requires and runs the packed packages',
      run: check(() =>
        all(consumer, [
          [binaryOf.bun, ['esm.mjs']],
          [binaryOf.bun, ['cjs.cjs']],
          [binaryOf.bun, ['consumer.ts']],
        ]),
      ),
    },
    {
      label: 'shape · deno check and run, npm: specifiers',
      proves: 'Deno type-checks and runs the packed packages through npm: specifiers',
      run: check(() =>
        all(consumer, [
          [binaryOf.deno, ['check', 'deno.ts', 'deno-esm-only.ts']],
          // The S3 package loads the AWS SDK, which reads its environment on import.
          [binaryOf.deno, ['run', '--allow-env', 'deno.ts']],
        ]),
      ),
    },
  ];
};
