// biome-ignore-all format: the README's quick start, kept character for character
// biome-ignore-all lint/correctness/noUnusedVariables: `uploaded` is unused in the README too
// biome-ignore-all assist/source/organizeImports: the README's import order
// The Windmill quick start of packages/storage-windmill/README.md, as the Windmill script it is.
// Only the first import is added: what the README leaves to you (the processor, the CDN, and the
// file API it fetches) comes from world.ts. A test keeps the rest equal to the README.
import { deleteFromCdn, processFile, uploadToCdn } from './world.ts';
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
