import { durable, isDurableXError, load, type Storage, sleep } from '@td7x/durable-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.ts';
import type { ExportedRun } from '../src/transfer/format.ts';
import { type CliBackend, openCliBackend } from './support/backends.ts';
import { cli, json } from './support/cli.ts';
import { seed } from './support/seed.ts';

/** An export with the owner of a running run blanked: the one field an import cannot carry. */
const comparable = (lines: string): ExportedRun[] =>
  lines
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ExportedRun)
    .map((r) => (r.run.status === 'running' ? { ...r, run: { ...r.run, owner: '(import)' } } : r));

/** What a load on the target gives back: memoized steps, without running them. */
const replays = async (storage: Storage) => {
  const ran: string[] = [];
  const never = (name: string) => () => {
    ran.push(name);
    return 'ran again';
  };
  const done = await load(storage)({})('done-1');
  const fetched = await durable(storage)(done)('fetch')({ id: 1 })(never('fetch'));
  const charged = await durable(storage)(done)('charge')({ amount: 5 })(never('charge'));
  const nap = await load(storage)({ refund: never('refund') })('nap-1');
  const reserved = await durable(storage)(nap)('reserve')()(never('reserve'));
  const parked = await sleep(storage)(nap)('cool-off')(1).then(
    () => 'woke',
    (e: unknown) => (isDurableXError(e, 'Suspended') ? 'suspended again' : String(e)),
  );
  return { replay: done.replay, fetched, charged, reserved, parked, ran };
};

// Every backend exports and imports: sqlite → postgres → redis → s3 → windmill → sqlite.
const CHAIN = ['sqlite', 'postgres', 'redis', 's3', 'windmill', 'sqlite'] as const;

describe('export and import between backends', () => {
  const backends: CliBackend[] = [];
  let exported: string;

  beforeAll(async () => {
    for (const name of CHAIN) backends.push(await openCliBackend(name));
    const source = backends[0] as CliBackend;
    const opened = await source.open();
    await seed(opened.storage);
    await opened.close();
    const out = await cli(['--storage', source.url, 'export'], { env: source.env });
    expect(out.code).toBe(EXIT.ok);
    expect(out.stderr).toBe('exported 5 run(s)\n');
    exported = out.stdout;
  });
  afterAll(async () => {
    for (const backend of backends) await backend.close();
  });

  it.each(CHAIN.slice(1).map((name, k) => [`${CHAIN[k]} → ${name}`, k + 1] as const))(
    '%s: every run arrives as stored, and a load there replays its memoized steps',
    async (_, k) => {
      const target = backends[k] as CliBackend;
      const imported = await cli(['--storage', target.url, 'import', '--json'], {
        env: target.env,
        input: exported,
      });
      expect([imported.code, imported.stderr]).toEqual([EXIT.ok, '']);
      const report = json<{
        imported: number;
        runs: { runId: string; kind: string; differences: string[] }[];
      }>(imported);
      expect(report.imported).toBe(5);
      expect(report.runs.every((r) => r.kind === 'imported' && r.differences.length === 0)).toBe(true);

      const again = await cli(['--storage', target.url, 'export'], { env: target.env });
      expect(comparable(again.stdout)).toEqual(comparable(exported));
      exported = again.stdout;

      const opened = await target.open();
      try {
        expect(await replays(opened.storage)).toEqual({
          replay: true,
          fetched: { bytes: 'x'.repeat(100) },
          charged: 'ch_1',
          reserved: 'r-1',
          parked: 'suspended again',
          ran: [],
        });
      } finally {
        await opened.close();
      }
    },
  );

  it('a second import leaves the existing runs alone (exit 4) and says so', async () => {
    const target = backends[1] as CliBackend;
    const again = await cli(['--storage', target.url, 'import'], { env: target.env, input: exported });
    expect(again.code).toBe(EXIT.refused);
    expect(again.stdout).toMatch(/^imported 0 of 5 run\(s\)\n/);
    expect(again.stdout).toMatch(/│ done-1\s+│ not imported: a run of that id exists │/);
  });
});
