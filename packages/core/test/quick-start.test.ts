// biome-ignore-all lint/correctness/noUnusedVariables: `uploaded` is unused in the original quick start too
// The product's original quick start, verbatim but for the storage import: `await step(...)` yields values
// and a failure fails the job. The helpers it assumes (Bun, processFile, the CDN) are stand-ins.
import { describe, expect, it } from 'vitest';
import {
  afterSafe,
  beforeRisky,
  type CleanupRegistry,
  complete,
  durable,
  isDurableXError,
  load,
  memoryStorage,
} from '../src/index.ts';

const windmillStorage = memoryStorage();

const world = { cdn: new Map<string, unknown>(), deleted: [] as string[], uploads: 0, crashNextUpload: true };
const log: string[] = [];
const Bun = { remove: async (_path: string) => {} };
const fetch = async (url: string) => {
  log.push(`download ${url}`);
  return { json: async () => ({ path: `/tmp/${url.split('/').pop()}` }) };
};
const processFile = async (path: string) => {
  log.push(`process ${path}`);
  return { path, lines: 3 };
};
const uploadToCdn = async (body: unknown, url: string) => {
  world.uploads++;
  world.cdn.set(url, body);
  log.push(`upload ${url}`);
  if (world.crashNextUpload) {
    world.crashNextUpload = false;
    throw new Error('connection reset after the bytes were sent');
  }
  return { url };
};
const deleteFromCdn = async (url: string) => {
  world.cdn.delete(url);
  world.deleted.push(url);
  log.push(`rollback ${url}`);
};

// ---- the quick start, as the product's brief wrote it ----
const cleanupRunners: CleanupRegistry = {
  delete_temp: async (params) => {
    await Bun.remove(params.path as string).catch(() => {});
  },
  rollback_upload: async (params) => {
    await deleteFromCdn(params.url as string);
  },
};

export async function main(fileId: string) {
  const cp = await load(windmillStorage)(cleanupRunners)(fileId);
  const step = durable(windmillStorage)(cp);

  const downloaded = await step('download')({ fileId })(() =>
    fetch(`https://api.example.com/files/${fileId}`).then((r) => r.json()),
  );

  const processed = await step('process')({ path: downloaded.path })(() => processFile(downloaded.path));

  const uploadUrl = `s3://bucket/${fileId}.json`;
  await beforeRisky(windmillStorage)(cp)('rollback_upload')({ url: uploadUrl });

  const uploaded = await step('upload')({ url: uploadUrl })(() => uploadToCdn(processed, uploadUrl));

  await afterSafe(windmillStorage)(cp)('rollback_upload');
  await complete(windmillStorage)(cp);

  return { fileId, uploadedUrl: uploadUrl };
}
// ---- end of the quick start ----

describe('the quick start', () => {
  it('fails the job when a step throws, and the retried job skips finished steps and rolls back', async () => {
    const failure = await main('f1').catch((e: unknown) => e);
    expect(isDurableXError(failure, 'StepFailed')).toBe(true);
    expect(log).toEqual([
      'download https://api.example.com/files/f1',
      'process /tmp/f1',
      'upload s3://bucket/f1.json',
    ]);
    log.length = 0;
    // The host retries at once: the failed step released the lease.
    expect(await main('f1')).toEqual({ fileId: 'f1', uploadedUrl: 's3://bucket/f1.json' });
    expect(log).toEqual(['rollback s3://bucket/f1.json', 'upload s3://bucket/f1.json']);
    expect(world.cdn.has('s3://bucket/f1.json')).toBe(true);
    log.length = 0;
    // A duplicate of a completed job is a cheap replay.
    expect(await main('f1')).toEqual({ fileId: 'f1', uploadedUrl: 's3://bucket/f1.json' });
    expect(log).toEqual([]);
    expect(world.uploads).toBe(2);
  });
});
