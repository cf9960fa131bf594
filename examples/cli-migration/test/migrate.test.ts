import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';

/**
 * The CLI as its user runs it (`npm start` = node with tsx on src/migrate.ts, in their own
 * folder), stopped half-way with Ctrl-C (SIGINT) or `kill -9` (SIGKILL), then run again.
 */
const ROWS = 3000;

/** `npm start -- --db <dir>/data.db --rows 3000 --batch 100`, from the example's folder. */
const start = (dir: string) => {
  const args = ['--db', join(dir, 'data.db'), '--rows', String(ROWS), '--batch', '100'];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@td7x/source', '--import', 'tsx', 'src/migrate.ts', ...args],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, LEASE_MS: '1500', BATCH_DELAY_MS: '40' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect); // the progress bar
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Resolves once the bar shows at least `rows` migrated rows. */
  const progressed = (rows: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        const shown = [...out.matchAll(/\| (\d+)\/\d+ rows/g)].map((m) => Number(m[1]));
        if (shown.some((n) => n >= rows)) resolve();
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      exited.then((code) => reject(new Error(`exited (${code}) before ${rows} rows:\n${out}`)));
    });
  return { child, exited, progressed, output: () => out };
};

/** What the target table holds: row count, and whether every row is the right transform. */
const migrated = (dir: string) => {
  const db = new Database(join(dir, 'data.db'), { readonly: true });
  try {
    const { n } = db.prepare('SELECT count(*) AS n FROM users').get() as { n: number };
    const wrong = db
      .prepare(
        `SELECT count(*) AS n FROM users u JOIN legacy_users l USING (id)
         WHERE u.first_name || ' ' || u.last_name <> l.full_name OR u.email <> lower(l.email)`,
      )
      .get() as { n: number };
    return { rows: n, wrong: wrong.n };
  } finally {
    db.close();
  }
};

const resumedRows = (out: string): number =>
  Number(/, (\d+) of them by an earlier attempt/.exec(out)?.[1] ?? 0);

it('kill -9 half-way: the next run waits for the dead one’s lease, then migrates only the rest', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'dx-migration-'));
  const first = start(cwd);
  await first.progressed(600);
  first.child.kill('SIGKILL');
  await first.exited;
  const half = migrated(cwd);
  expect(half.rows).toBeGreaterThanOrEqual(600);
  expect(half.rows).toBeLessThan(ROWS);

  const second = start(cwd);
  expect(await second.exited).toBe(0);
  const out = second.output();
  expect(out).toMatch(/another run holds the migration \(killed\?\) until .*; waiting \d s/);
  expect(out).toContain('resuming (attempt 2)');
  expect(out).toContain(`done: ${ROWS} rows`);
  // The batches finished before the kill came back from storage (one in flight may run again).
  expect(resumedRows(out)).toBeGreaterThanOrEqual(half.rows - 100);
  expect(resumedRows(out)).toBeLessThanOrEqual(half.rows);
  expect(migrated(cwd)).toEqual({ rows: ROWS, wrong: 0 });

  const third = start(cwd);
  expect(await third.exited).toBe(0);
  expect(third.output()).toContain(`already done: ${ROWS} rows were migrated by an earlier run`);
});

it('Ctrl-C half-way: it stops after the batch in hand, and the next run resumes at once', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'dx-migration-'));
  const first = start(cwd);
  await first.progressed(600);
  first.child.kill('SIGINT');
  expect(await first.exited).toBe(130);
  const stoppedAt = Number(
    /interrupted after (\d+)\/3000 rows; run it again to resume/.exec(first.output())?.[1],
  );
  expect(stoppedAt).toBeGreaterThanOrEqual(600);
  expect(migrated(cwd).rows).toBe(stoppedAt);

  const second = start(cwd);
  expect(await second.exited).toBe(0);
  const out = second.output();
  expect(out).not.toContain('another run holds the migration'); // Ctrl-C released it: no wait
  expect(resumedRows(out)).toBe(stoppedAt);
  expect(migrated(cwd)).toEqual({ rows: ROWS, wrong: 0 });
});
