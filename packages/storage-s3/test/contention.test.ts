import type { StepRecord } from '@td7x/durable-x';
import { describe, expect, it } from 'vitest';
import { s3Storage } from '../src/index.ts';
import { bucketForFile } from './file-bucket.ts';

// 16 writers on one run document: its owner writing steps, and 15 other processes sending it
// signals as fast as they can. Every write of the owner must succeed (contention costs it time,
// not failures); the figures printed here are the README's ("Contention").

const LEASE = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const SENDERS = 15;
const SIGNALS_EACH = 10;
const OWNER_STEPS = 30;

const b = bucketForFile('contention');

/** A process: its own client, counting the 412s its PUTs get (each one a round lost). */
const processOf = (prefix: string) => {
  const client = b.client();
  let lost = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) lost++;
        throw error;
      }
    },
    { step: 'deserialize', name: 'count412', priority: 'high' },
  );
  return { storage: s3Storage({ client, bucket: b.bucket, prefix }), lost: () => lost };
};

const record = (key: string, seq: number, at: number): StepRecord => ({
  key,
  name: key.split('#')[0] ?? key,
  seq,
  output: '"x"',
  at,
});

interface Tally {
  /** Latency of each write that succeeded. */
  readonly ms: number[];
  failed: number;
  /** Most rounds one write lost. */
  maxLost: number;
}

const tally = (): Tally => ({ ms: [], failed: 0, maxLost: 0 });

/** Times one write of a process that writes one at a time (so its 412s during the write are this write's). */
const timed = async (process: { lost: () => number }, write: () => Promise<unknown>, into: Tally) => {
  const started = performance.now();
  const lostBefore = process.lost();
  try {
    await write();
    into.ms.push(performance.now() - started);
  } catch {
    into.failed++;
  }
  into.maxLost = Math.max(into.maxLost, process.lost() - lostBefore);
};

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
};

const summary = (label: string, r: Tally, lost: number, writes: number) =>
  `${label}: ${writes - r.failed}/${writes} ok, ${lost} rounds lost (412; at most ${r.maxLost} by one write), latency p50 ${percentile(r.ms, 50)} ms, p90 ${percentile(r.ms, 90)} ms, max ${percentile(r.ms, 100)} ms`;

describe('s3 contention: 16 writers on one run', () => {
  it(`the owner's ${OWNER_STEPS} steps all succeed while ${SENDERS} processes send ${SIGNALS_EACH} signals each`, async () => {
    const prefix = 'storm/';
    const owner = processOf(prefix);
    const senders = Array.from({ length: SENDERS }, () => processOf(prefix));
    const runId = 'stormy';
    await owner.storage.claim({ runId, owner: 'o', now: T0, leaseMs: LEASE });
    const mine = tally();
    const theirs = tally();
    const outcomes: string[] = [];
    const started = performance.now();
    await Promise.all([
      (async () => {
        for (let i = 1; i <= OWNER_STEPS; i++) {
          await timed(
            owner,
            async () => {
              const o = await owner.storage.putStep({
                runId,
                owner: 'o',
                record: record(`s${i}#k`, i, T0 + i),
              });
              outcomes.push(o.kind);
            },
            mine,
          );
        }
      })(),
      ...senders.map(async (sender, s) => {
        for (let i = 0; i < SIGNALS_EACH; i++) {
          await timed(
            sender,
            () => sender.storage.putSignal({ runId, record: record(`g${s}-${i}#signal`, 0, T0), now: T0 }),
            theirs,
          );
        }
      }),
    ]);
    const elapsed = Math.round(performance.now() - started);
    const lostBySenders = senders.reduce((sum, s) => sum + s.lost(), 0);
    console.log(
      [
        `16 writers on one run, ${elapsed} ms in all`,
        summary('owner steps', mine, owner.lost(), OWNER_STEPS),
        summary('signals', theirs, lostBySenders, SENDERS * SIGNALS_EACH),
      ].join('\n'),
    );
    expect(mine.failed).toBe(0);
    expect(outcomes).toEqual(Array(OWNER_STEPS).fill('written'));
    expect(theirs.failed).toBe(0);
    const stored = await processOf(prefix).storage.read(runId);
    expect(stored?.steps).toHaveLength(OWNER_STEPS + SENDERS * SIGNALS_EACH);
  }, 120_000);
});
