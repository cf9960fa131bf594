/**
 * What the quick start leaves to you: the file API it fetches (`https://api.example.com/files/…`,
 * answered here, without a network), a processor and a CDN. Each says what it does, with the job
 * it runs in. With DEMO_CRASH=upload the upload kills its own process once it has started:
 * SIGKILL, which is what an OOM kill or a lost worker does to a Windmill job.
 */
const job = (process.env.WM_JOB_ID ?? '?').slice(0, 8);
const say = (text: string) => console.log(`   [job ${job}] ${text}`);

const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  const file = /^https:\/\/api\.example\.com\/files\/(.+)$/.exec(url);
  if (!file) return realFetch(input, init); // windmill-client's requests, to the stand-in
  const fileId = decodeURIComponent(file[1] ?? '');
  say(`download ${fileId}`);
  return Response.json({ path: `/tmp/${fileId}.bin` });
}) as typeof fetch;

export const processFile = async (path: string) => {
  say(`process ${path}`);
  return { path, words: 3 };
};

export const uploadToCdn = async (_data: unknown, url: string) => {
  say(`upload ${url}`);
  if (process.env.DEMO_CRASH === 'upload') {
    say('killed in the middle of the upload (SIGKILL)');
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => {}); // the signal ends the process before anything else runs
  }
  return { url };
};

export const deleteFromCdn = async (url: string) => {
  say(`rollback_upload: delete ${url}, which the dead job may have half uploaded`);
};
