// What the quick start script takes from its surroundings (provided at run time by job.ts).
declare global {
  function processFile(path: string): Promise<{ path: string; bytes: number }>;
  function uploadToCdn(data: unknown, url: string): Promise<{ url: string }>;
  function deleteFromCdn(url: string): Promise<void>;
}

export {};
