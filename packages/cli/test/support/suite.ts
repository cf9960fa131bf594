import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectRun, load, type Storage, waitFor } from '@td7x/durable-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/exit-codes.ts';
import { type BackendName, type CliBackend, openCliBackend } from './backends.ts';
import { cli, json } from './cli.ts';
import { seed } from './seed.ts';

interface Listed {
  runs: {
    runId: string;
    status: string;
    steps: number;
    pendingCleanups: number;
    attempt: number;
    owner: string | null;
  }[];
  next?: string;
}

const CLEANUPS = fileURLToPath(new URL('../fixtures/cleanups.mjs', import.meta.url));

/** Every command of `durable-x`, run as its own process against one backend, on the seeded runs. */
export const describeCli = (name: BackendName) =>
  describe(`durable-x on ${name}`, () => {
    let backend: CliBackend;
    let opened: { storage: Storage; close: () => Promise<void> };
    const run = (...args: string[]) => cli(['--storage', backend.url, ...args], { env: backend.env });

    beforeAll(async () => {
      backend = await openCliBackend(name);
      opened = await backend.open();
      await seed(opened.storage);
    });
    afterAll(async () => {
      await opened?.close();
      await backend?.close();
    });

    it('ls: a table of runs, oldest first; --json pages with a cursor, filtered by status and age', async () => {
      const table = await run('ls');
      expect(table.code).toBe(EXIT.ok);
      const lines = table.stdout.split('\n');
      expect(lines[1]).toMatch(/RUN\s+│ STATUS\s+│ STEPS │ CLEANUPS │ ATTEMPT │ OWNER\s+│ LEASE\s+│ AGE/);
      const row = (id: string) => lines.find((l) => l.includes(` ${id} `)) ?? '';
      expect(row('orphan-1')).toMatch(/│ running\s+│ 1\s+│ 1\s+│ 1\s+│ dx:.+│ expired \d+m ago/);
      expect(row('nap-1')).toMatch(/│ suspended\s+│ 1\s+│ 1\s+│ 1\s+│ —\s+│ wakes in 59m/);
      expect(row('wait-1')).toMatch(/│ suspended\s+│ 1\s+│ 0\s+│ 1\s+│ —\s+│ on signal/);
      expect(row('done-1')).toMatch(/│ completed\s+│ 2\s+│ 0\s+│ 1\s+│ —\s+│ —/);
      expect(row('failed-1')).toMatch(/│ failed\s+│ 1\s+│ 0 /);

      const first = json<Listed>(await run('ls', '--json', '--limit', '3'));
      expect(first.runs.map((r) => r.runId)).toEqual(['orphan-1', 'done-1', 'nap-1']);
      expect(first.next).toBeTypeOf('string');
      const second = json<Listed>(
        await run('ls', '--json', '--limit', '3', '--cursor', first.next as string),
      );
      expect(second.runs.map((r) => r.runId)).toEqual(['wait-1', 'failed-1']);
      expect(second.next).toBeUndefined();

      const filtered = json<Listed>(
        await run('ls', '--json', '--status', 'suspended,failed', '--older-than', '1s'),
      );
      expect(filtered.runs.map((r) => [r.runId, r.status])).toEqual([
        ['nap-1', 'suspended'],
        ['wait-1', 'suspended'],
        ['failed-1', 'failed'],
      ]);
    });

    it('show: steps in order with attempts, output size and last error; cleanups, sleeps, signals; exit 3 for an unknown run', async () => {
      const done = json<{ run: { status: string }; steps: Record<string, unknown>[] }>(
        await run('show', 'done-1', '--json'),
      );
      expect(done.run.status).toBe('completed');
      expect(
        done.steps.map(({ name, state, attempts, outputBytes, lastError }) => ({
          name,
          state,
          attempts,
          outputBytes,
          lastError,
        })),
      ).toEqual([
        { name: 'fetch', state: 'recorded', attempts: 1, outputBytes: 112, lastError: undefined },
        {
          name: 'charge',
          state: 'recorded',
          attempts: 2,
          outputBytes: 6,
          lastError: { name: 'Error', message: 'card declined, try again' },
        },
      ]);

      const nap = await run('show', 'nap-1');
      expect(nap.code).toBe(EXIT.ok);
      expect(nap.stdout).toMatch(/^run\s+nap-1$/m);
      expect(nap.stdout).toMatch(/^status\s+suspended, attempt 1$/m);
      expect(nap.stdout).toMatch(/│ 1 │ reserve │ recorded │ 1\s+│ 5 B\s+│/);
      expect(nap.stdout).toMatch(
        /Pending cleanups \(1, run newest first\)[\s\S]*│ refund\s+│ \{"reservation":"r-1"\} │/,
      );
      expect(nap.stdout).toMatch(/│ sleep │ cool-off │ \d{4}-\d\d-\d\dT/);

      const missing = await run('show', 'no-such-run');
      expect(missing.code).toBe(EXIT.notFound);
      expect(missing.stderr).toBe('durable-x: run "no-such-run" does not exist\n');
    });

    it('signal: the first of a name is accepted (exit 0) and the waiting run gets it; a second is not (exit 4)', async () => {
      const sent = await run('signal', 'wait-1', 'approval', '{"by":"ops"}');
      expect([sent.code, sent.stdout]).toEqual([
        EXIT.ok,
        'signal approval sent to wait-1 (suspended: due now if it waits for it)\n',
      ]);
      const again = await run('signal', 'wait-1', 'approval', '{"by":"someone else"}', '--json');
      expect(again.code).toBe(EXIT.refused);
      expect(json(again)).toEqual({
        runId: 'wait-1',
        name: 'approval',
        accepted: false,
        status: 'suspended',
      });
      const cp = await load(opened.storage)({})('wait-1');
      expect(await waitFor(opened.storage)(cp)('approval')()).toEqual({
        kind: 'signal',
        payload: { by: 'ops' },
      });
      expect((await run('signal', 'no-such-run', 'approval')).code).toBe(EXIT.notFound);
    });

    it('wait: exit 0 for a completed run, 4 for a failed one, 5 past --timeout', async () => {
      const done = await run('wait', 'done-1', '--json');
      expect(done.code).toBe(EXIT.ok);
      expect(json<{ run: { status: string } }>(done).run.status).toBe('completed');
      expect((await run('wait', 'failed-1')).code).toBe(EXIT.refused);
      const late = await run('wait', 'nap-1', '--timeout', '300ms', '--interval', '100ms');
      expect([late.code, late.stdout]).toEqual([EXIT.timeout, 'nap-1 still suspended after the timeout\n']);
    });

    it('cancel: exit 0 when cancelled, 4 for a completed run (left completed), 3 for an unknown one', async () => {
      const cancelled = await run('cancel', 'nap-1');
      expect([cancelled.code, cancelled.stdout]).toEqual([EXIT.ok, 'nap-1: cancelled\n']);
      expect((await inspectRun(opened.storage)('nap-1'))?.run.status).toBe('cancelled');
      const completed = await run('cancel', 'done-1', '--json');
      expect(completed.code).toBe(EXIT.refused);
      expect(json(completed)).toEqual({ runs: [{ runId: 'done-1', status: 'completed' }] });
      expect((await run('cancel', 'no-such-run')).code).toBe(EXIT.notFound);
    });

    it("recover: an abandoned run's pending cleanup runs (from the application's module) and it is marked compensated", async () => {
      const dry = json<{ abandoned: { runId: string }[] }>(await run('recover', '--dry-run', '--json'));
      expect(dry.abandoned.map((r) => r.runId)).toEqual(['orphan-1']);
      const log = join(tmpdir(), `dx-cli-cleanups-${process.pid}-${name}.log`);
      rmSync(log, { force: true });
      const recovered = await cli(['--storage', backend.url, 'recover', '--cleanups', CLEANUPS], {
        env: { ...backend.env, CLEANUP_LOG: log },
      });
      expect(recovered.code).toBe(EXIT.ok);
      expect(recovered.stdout).toMatch(/^recovered 1 run\(s\)\n[\s\S]*│ orphan-1 │ release\s+│/);
      expect(readFileSync(log, 'utf8')).toBe('{"name":"release","params":{"lock":"l-1"}}\n');
      expect((await inspectRun(opened.storage)('orphan-1'))?.run.status).toBe('compensated');
      rmSync(log, { force: true });
    });

    it('purge: only completed runs older than the cutoff go, unless --status says more', async () => {
      const dry = json<{ matching: number }>(await run('purge', '--older-than', '0s', '--dry-run', '--json'));
      expect(dry.matching).toBe(1);
      const purged = await run('purge', '--older-than', '0s', '--json');
      expect(purged.code).toBe(EXIT.ok);
      expect(json<{ purged: number }>(purged).purged).toBe(1);
      expect(await inspectRun(opened.storage)('done-1')).toBeUndefined();
      expect(await inspectRun(opened.storage)('failed-1')).toBeDefined();
    });
  });
