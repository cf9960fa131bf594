// biome-ignore-all format: the brief's quick start, kept character for character
// biome-ignore-all lint/correctness/noUnusedVariables: `uploaded` is unused in the brief too
// biome-ignore-all assist/source/organizeImports: the brief's import order
// The product's original quick start (its "Windmill Workflow"), as a Windmill script. Only the import of
// `windmillStorage` differs: it comes from this package. `fetch`, `processFile`, `uploadToCdn`,
// `deleteFromCdn` and `Bun.remove` are provided by the job around it (job.ts; types in globals.d.ts).
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
