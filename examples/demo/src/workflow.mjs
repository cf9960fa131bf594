// The workflow of the README's quick start, on SQLite, with its effects simulated on the local disk:
// download a file, process it, and upload the result inside a beforeRisky / afterSafe window.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterSafe, beforeRisky, complete, durable, load } from '@td7x/durable-x';
import { sameHostLiveness } from '@td7x/durable-x/node';

/** Runs a cleanup registered by beforeRisky, by name, after a crash. Idempotent: rm with force. */
export const cleanupRunners = {
  rollback_upload: async (params) => {
    await rm(params.path, { force: true });
  },
};

/**
 * `options.dir` is where the simulated inbox and CDN live; `onEvent` gets durable-x's events;
 * `note` gets what the demo prints beyond them; `slowUpload` is awaited in the middle of the
 * upload (attempt 1 waits there to be killed). Both attempts load with the same-host liveness
 * check: each names its process in its owner token, and a load that finds the run held by a
 * process that is gone takes it over at once instead of waiting out its 30 s lease.
 */
export async function processFile(storage, fileId, options) {
  const { dir, onEvent, note = () => {}, slowUpload = async () => {} } = options;
  const cp = await load(storage, { onEvent, liveness: sameHostLiveness() })(cleanupRunners)(fileId);
  const step = durable(storage)(cp);

  const downloaded = await step('download')({ fileId })(() => download(dir, fileId));

  const processed = await step('process')({ path: downloaded.path })(() => processText(downloaded.path));

  const uploadPath = join(dir, 'cdn', `${fileId}.json`);
  await beforeRisky(storage)(cp)('rollback_upload')({ path: uploadPath });
  note({ type: 'risky', name: 'rollback_upload' });

  const uploaded = await step('upload')({ path: uploadPath })(() =>
    upload(processed, uploadPath, slowUpload),
  );

  await afterSafe(storage)(cp)('rollback_upload');
  await complete(storage)(cp);

  return { fileId, words: processed.words, uploaded: uploaded.bytes };
}

async function download(dir, fileId) {
  const path = join(dir, 'inbox', `${fileId}.txt`);
  const text = Array.from({ length: 300 }, (_, i) => `word${i % 17}`).join(' ');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return { path, bytes: text.length };
}

async function processText(path) {
  const words = (await readFile(path, 'utf8')).split(' ');
  const counts = {};
  for (const word of words) counts[word] = (counts[word] ?? 0) + 1;
  return { words: words.length, distinct: Object.keys(counts).length, counts };
}

/** Writes the object in two halves; a crash in between leaves a half-written file behind. */
async function upload(processed, path, slowUpload) {
  const body = JSON.stringify(processed, null, 2);
  const half = Math.floor(body.length / 2);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body.slice(0, half));
  await slowUpload({ written: half, total: body.length });
  await writeFile(path, body);
  return { bytes: body.length };
}
