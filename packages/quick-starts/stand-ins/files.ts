/**
 * What the root and core READMEs' quick starts assume exists: a file source, a processor, a CDN.
 * Each call is noted; the process prints the list when it exits, for the test to read.
 * `FAIL_UPLOADS=n`: the first n uploads fail after sending (a connection reset).
 */
export const calls: string[] = [];
let failUploads = Number(process.env.FAIL_UPLOADS ?? 0);
process.on('exit', () => console.log(`calls ${JSON.stringify(calls)}`));

export const fetchFile = async (fileId: string) => {
  calls.push(`download ${fileId}`);
  return { path: `/tmp/${fileId}` };
};
export const download = fetchFile;

export const processFile = async (path: string) => {
  calls.push(`process ${path}`);
  return { path, words: 3 };
};

/** `idempotencyKey`: what a real CDN or object store would deduplicate a resent upload by. */
export const uploadToCdn = async (_body: unknown, url: string, _options?: { idempotencyKey?: string }) => {
  calls.push(`upload ${url}`);
  if (failUploads-- > 0) throw new Error('connection reset after the bytes were sent');
  return { url };
};
export const upload = uploadToCdn;

export const deleteFromCdn = async (url: string) => {
  calls.push(`delete ${url}`);
};
