/**
 * One process of the crowd (see crowd.ts): for each task line on stdin, it opens the file, runs
 * its runs through a storage of its own (claim, the steps, finish), closes it and prints what
 * happened. Every failure is reported, never thrown: the parent counts them.
 */
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { sqliteStorage } from '../../src/index.ts';
import { type CrowdResult, type CrowdTask, READY, RESULT } from './protocol.ts';

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const serve = async (task: CrowdTask): Promise<CrowdResult> => {
  const db = new Database(task.file);
  const storage = sqliteStorage(db, { synchronous: task.synchronous ?? 'full' });
  const counts = { claims: 0, steps: 0, finishes: 0 };
  const failures: string[] = [];
  const latencies: number[] = [];
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await call();
    } finally {
      latencies.push(performance.now() - start);
    }
  };
  try {
    for (let i = 0; i < task.runs; i++) {
      const runId = `${task.tag}-${i}`;
      const owner = `${task.tag}-owner-${i}`;
      try {
        const now = Date.now();
        const claimed = await timed(() => storage.claim({ runId, owner, now, leaseMs: 60_000 }));
        if (claimed.kind !== 'claimed') throw new Error(`claim answered ${claimed.kind}`);
        counts.claims++;
        for (let s = 1; s <= task.steps; s++) {
          const record = { key: `s${s}#0`, name: `s${s}`, seq: s, output: `{"s":${s}}`, at: now };
          const put = await timed(() => storage.putStep({ runId, owner, record }));
          if (put.kind !== 'written') throw new Error(`putStep answered ${put.kind}`);
          counts.steps++;
        }
        const request = {
          runId,
          owner,
          status: 'completed',
          at: now,
          error: null,
          dropCleanups: true,
        } as const;
        const finished = await timed(() => storage.finish(request));
        if (finished !== 'ok') throw new Error(`finish answered ${finished}`);
        counts.finishes++;
      } catch (error) {
        failures.push(describe(error));
      }
    }
  } finally {
    db.close();
  }
  return { ...counts, failures, latencies };
};

process.stdout.write(`${READY}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  void serve(JSON.parse(line) as CrowdTask).then((result) =>
    process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`),
  );
});
