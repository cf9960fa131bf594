import { writeFileSync } from 'node:fs';
import { uniqueKeyPrefix } from '@td7x/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { newLog, readLog } from './logs.ts';
import { startWorkflow } from './processes/spawn.ts';
import { connect, dropPrefix, sharedRedisUrl } from './support.ts';

const prefix = uniqueKeyPrefix('crash');
let redis: Redis;
beforeAll(async () => {
  redis = await connect(sharedRedisUrl());
});
afterAll(async () => {
  await dropPrefix(redis, prefix);
  await redis.quit();
});

const base = () => ({ TEST_REDIS_URL: sharedRedisUrl(), DX_PREFIX: prefix, DX_LEASE_MS: 900 });
const steps = (n: number) => Array.from({ length: n }, (_, i) => i * 10);

describe('SIGKILL', () => {
  it('a process killed inside a risky step: another process runs the cleanup, skips the recorded steps, finishes', async () => {
    const runId = 'crash/{1}:ü';
    const log = newLog('kill');
    const env = { ...base(), DX_RUN_ID: runId, DX_LOG: log, DX_STEPS: 6, DX_RISKY_AT: 3 };
    const first = startWorkflow({ ...env, DX_HANG_AT: 3 });
    await first.line('hanging');
    first.child.kill('SIGKILL');
    expect((await first.exited).code).toBe('SIGKILL');
    const a = String(first.child.pid);

    // Its lease is no longer renewed: the second process waits it out (RunBusy), then takes over.
    const second = startWorkflow({ ...env, DX_BUSY_UNTIL: Date.now() + 15_000 });
    const result = JSON.parse(await second.line('result '));
    expect((await second.exited).code).toBe(0);
    const b = String(second.child.pid);
    expect(result.outputs).toEqual(steps(6));
    expect(result.attempt).toBe(2);
    expect(readLog(log)).toEqual([
      ['run', 's0', a],
      ['run', 's1', a],
      ['run', 's2', a],
      ['run', 's3', a],
      ['undo', '3', b],
      ['run', 's3', b],
      ['run', 's4', b],
      ['run', 's5', b],
    ]);
    const stored = await redisStorage({ client: ioredisClient(redis), prefix }).read(runId);
    expect(stored?.run).toMatchObject({ status: 'completed', owner: null, attempt: 2 });
    // Six steps; the core's own records (a closed risky window) end without a hash.
    expect(stored?.steps.filter((s) => /#[0-9a-f]{64}$/.test(s.key))).toHaveLength(6);
    expect(stored?.cleanups).toEqual([]);
  });

  it('killed at random moments three times, a run never re-executes a step it recorded', async () => {
    const runId = 'crash-random';
    const log = newLog('random');
    const env = { ...base(), DX_RUN_ID: runId, DX_LOG: log, DX_STEPS: 40, DX_STEP_MS: 5 };
    const pids: string[] = [];
    for (let kill = 0; kill < 3; kill++) {
      const worker = startWorkflow({ ...env, DX_BUSY_UNTIL: Date.now() + 15_000 });
      // Start the clock once the process has claimed the run (its first step ran).
      await new Promise((resolve) => setTimeout(resolve, 100));
      while (!readLog(log).some(([, , pid]) => pid === String(worker.child.pid))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 60));
      worker.child.kill('SIGKILL');
      expect((await worker.exited).code).toBe('SIGKILL');
      pids.push(String(worker.child.pid));
    }
    const last = startWorkflow({ ...env, DX_BUSY_UNTIL: Date.now() + 15_000 });
    const result = JSON.parse(await last.line('result '));
    expect(result.outputs).toEqual(steps(40));
    pids.push(String(last.child.pid));

    const runs = readLog(log).filter(([event]) => event === 'run');
    // Every process but the last may have died inside its last step (not recorded, so it runs
    // again); every other step it ran was recorded and never runs again.
    for (const [i, pid] of pids.entries()) {
      const mine = runs.filter(([, , p]) => p === pid).map(([, step]) => step);
      const recorded = i === pids.length - 1 ? mine : mine.slice(0, -1);
      const later = new Set(runs.filter(([, , p]) => pids.indexOf(p) > i).map(([, step]) => step));
      for (const step of recorded) expect(later.has(step), `${step} re-ran after process ${i}`).toBe(false);
    }
    expect(new Set(runs.map(([, step]) => step)).size).toBe(40);
    expect(runs.length).toBeLessThanOrEqual(40 + 3);
  }, 60_000);
});

describe('16 processes race for one run id', () => {
  it('exactly one process executes each step, including after the first owner dies mid-run', async () => {
    const runId = 'race:{same}';
    const log = newLog('race');
    const env = { ...base(), DX_RUN_ID: runId, DX_LOG: log, DX_STEPS: 8, DX_STEP_MS: 20, DX_EXIT_AFTER: 3 };
    const busyUntil = Date.now() + 60_000;
    const go = `${log}.go`;
    const workers = Array.from({ length: 16 }, () =>
      startWorkflow({ ...env, DX_BUSY_UNTIL: busyUntil, DX_GO_FILE: go }),
    );
    // All 16 are connected and waiting: release them at once so their claims really collide.
    await Promise.all(workers.map((w) => w.line('ready')));
    writeFileSync(go, '');
    const exits = await Promise.all(workers.map((w) => w.exited));

    const runs = readLog(log).filter(([event]) => event === 'run');
    expect(runs.map(([, step]) => step)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
    const firstOwner = runs[0]?.[2];
    const takeover = runs[4]?.[2];
    expect(runs.slice(0, 4).every(([, , pid]) => pid === firstOwner)).toBe(true);
    expect(runs.slice(4).every(([, , pid]) => pid === takeover)).toBe(true);
    expect(takeover).not.toBe(firstOwner);

    // The first owner died after step 3 (exit 3); the 15 others all end with the same result.
    expect(exits.filter((e) => e.code === 3)).toHaveLength(1);
    const finished = exits.filter((e) => e.code === 0);
    expect(finished, exits.map((e) => e.stderr).join('\n')).toHaveLength(15);
    for (const { stdout } of finished) {
      const line = stdout.split('\n').find((l) => l.startsWith('result ')) as string;
      expect(JSON.parse(line.slice('result '.length))).toMatchObject({ outputs: steps(8), attempt: 2 });
    }
  }, 120_000);
});
