// biome-ignore-all format: the product's original quick start, kept character for character
// biome-ignore-all lint/correctness/noUnusedVariables: `uploaded` is unused in the original too
// biome-ignore-all assist/source/organizeImports: the original's import order
// The product's original quick start (its "Windmill Workflow"), as a Windmill script. Two things
// differ, and only these: `windmillStorage` is imported from this package, and the `delete_temp`
// cleanup removes its file with `rm` from node:fs/promises instead of `Bun.remove`, which does not
// exist in Bun (1.4.5: `Bun.remove is not a function`, thrown before `.catch` is reached). `fetch`,
// `processFile`, `uploadToCdn` and `deleteFromCdn` are provided by the job around it (job.ts; types
// in globals.d.ts). The README's quick start is this code (a test keeps them equal).
import { rm } from 'node:fs/promises';
import {
  load,
  durable,
  beforeRisky,
  afterSafe,
  complete,
  type CleanupRegistry,
} from '@td7x/durable-x';
import { windmillStorage } from '@td7x/durable-x-windmill';

const cleanupRunners: CleanupRegistry = {
  delete_temp: async (params) => {
    await rm(params.path as string, { force: true });
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

  const processed = await step('process')({ path: downloaded.path })(() =>
    processFile(downloaded.path),
  );

  const uploadUrl = `s3://bucket/${fileId}.json`;
  await beforeRisky(windmillStorage)(cp)('rollback_upload')({ url: uploadUrl });

  const uploaded = await step('upload')({ url: uploadUrl })(() =>
    uploadToCdn(processed, uploadUrl),
  );

  await afterSafe(windmillStorage)(cp)('rollback_upload');
  await complete(windmillStorage)(cp);

  return { fileId, uploadedUrl: uploadUrl };
}
