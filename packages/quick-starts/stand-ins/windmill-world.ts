/**
 * The outside world of the Windmill quick start: the file API it fetches
 * (`https://api.example.com/files/<id>`, answered here, with no network), and the processor and
 * CDN of ./files.ts. Everything else `fetch`es as usual (windmill-client's requests reach the stand-in).
 */
import { calls } from './files.ts';

export { deleteFromCdn, processFile, uploadToCdn } from './files.ts';

const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  const file = /^https:\/\/api\.example\.com\/files\/(.+)$/.exec(url);
  if (!file) return realFetch(input, init);
  const fileId = decodeURIComponent(file[1] ?? '');
  calls.push(`download ${fileId}`);
  return Response.json({ path: `/tmp/${fileId}` });
}) as typeof fetch;
