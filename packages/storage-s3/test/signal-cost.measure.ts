// What signals cost a run on S3: every signal stays in the run document, which every write of the
// run re-sends and every load reads. Prints, per size and number of signals held by one run, the
// document size, the values stored out of line, the time of a step (one conditional PUT) and of a
// load from a new process (GET + PUT, + one GET per out-of-line value). The basis of
// S3_SIGNAL_LIMITS (README "Limits"). Not part of the test run; with the test servers up
// (`. /tmp/dx-dev/env`, or the env file that scripts/start-services.sh writes):
//
//   cd packages/storage-s3 && node --conditions=@td7x/source --import tsx test/signal-cost.measure.ts
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { Storage } from '@td7x/durable-x';
import { uniqueBucketName } from '@td7x/testing';
import { s3Storage } from '../src/index.ts';
import { newClient } from './support.ts';

/** [payload characters, signals held by the run]. */
const CASES: readonly (readonly [number, number])[] = [
  ...[0, 500, 1_000, 3_000].map((n) => [40, n] as const),
  ...[256, 500, 1_000, 2_000].map((n) => [2_000, n] as const),
  // Over inlineValueBytes (8 KiB): each signal in an object of its own, one more GET per load.
  ...[100, 500].map((n) => [9_000, n] as const),
];
/** Signals sent concurrently from one instance share PUTs: the run is built quickly. */
const BATCH = 25;
const SAMPLES = 7;
const T0 = Date.UTC(2026, 0, 1);

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const fill = async (storage: Storage, runId: string, count: number, payload: string) => {
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => {
        const name = `approval-${i + j}`;
        return storage.putSignal({
          runId,
          record: { key: `${name}#signal`, name, seq: 0, output: payload, at: T0 },
          now: T0,
        });
      }),
    );
  }
};

const timeSteps = async (storage: Storage, runId: string) => {
  const times: number[] = [];
  for (let s = 1; s <= SAMPLES; s++) {
    const started = performance.now();
    await storage.putStep({
      runId,
      owner: 'o',
      record: { key: `s${s}#k`, name: `s${s}`, seq: s, output: '1', at: T0 },
    });
    times.push(performance.now() - started);
  }
  return median(times);
};

const timeLoads = async (bucket: string, runId: string) => {
  const times: number[] = [];
  for (let s = 1; s <= SAMPLES; s++) {
    const client = newClient();
    const fresh = s3Storage({ client, bucket, prefix: 'm/' });
    const started = performance.now();
    await fresh.claim({ runId, owner: `l${s}`, now: T0 + s * 7_200_000, leaseMs: 3_600_000 });
    times.push(performance.now() - started);
    client.destroy();
  }
  return median(times);
};

const main = async () => {
  const admin = newClient();
  const bucket = uniqueBucketName('signal-cost');
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  const list = (Prefix: string) => admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix }));
  const rows = [
    '| payload | signals | document | values out of line | step (PUT) | load, new process |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  try {
    for (const [characters, count] of CASES) {
      const client = newClient();
      // Limits far above the counts measured: this measures what the limits are for.
      const storage = s3Storage({ client, bucket, prefix: 'm/', signalLimits: { perRun: 1_000_000 } });
      const runId = `run-${characters}-${count}`;
      await storage.claim({ runId, owner: 'o', now: T0, leaseMs: 3_600_000 });
      await fill(storage, runId, count, JSON.stringify({ signal: 'x'.repeat(characters) }));
      const step = await timeSteps(storage, runId);
      const load = await timeLoads(bucket, runId);
      const size = (await list('m/runs/')).Contents?.find((o) => o.Key?.endsWith(runId))?.Size ?? 0;
      const outOfLine = (await list(`m/values/id.${runId}/`)).KeyCount ?? 0;
      rows.push(
        `| ${characters} B | ${count} | ${Math.round(size / 1024)} KiB | ${outOfLine} | ${step.toFixed(0)} ms | ${load.toFixed(0)} ms |`,
      );
      console.log(rows.at(-1));
      client.destroy();
    }
  } finally {
    for (;;) {
      const keys = ((await list('')).Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
    admin.destroy();
  }
  console.log(rows.join('\n'));
};

await main();
