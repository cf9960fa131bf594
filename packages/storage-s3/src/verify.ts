import type { S3Client } from '@aws-sdk/client-s3';
import { layoutOf } from './keys.ts';
import { s3Objects } from './objects.ts';

/**
 * Proves that the server honours the conditional PUTs this adapter's safety rests on, with four
 * PUTs and one DELETE on a throw-away object under `<prefix>probe/`. Call it once at deploy time
 * or in a health check: a server that ignores `If-None-Match` / `If-Match` (s3rver, some
 * emulators and gateways) would otherwise silently break fencing and first-writer-wins.
 * Rejects with an Error that names what is missing.
 */
export const verifyConditionalWrites = async (options: {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix?: string;
}): Promise<void> => {
  const layout = layoutOf(options.prefix ?? '');
  const objects = s3Objects(options.client, options.bucket);
  const key = layout.probe(crypto.randomUUID());
  const fail = (what: string) =>
    new Error(`durable-x s3: bucket ${options.bucket} ${what}; this adapter is unsafe there`);
  try {
    const created = await objects.put(key, '1', 'absent');
    if (created === 'precondition-failed') throw fail('refused If-None-Match: * on a new key');
    if ((await objects.put(key, '2', 'absent')) !== 'precondition-failed') {
      throw fail('ignores If-None-Match: * (it overwrote an existing object)');
    }
    if ((await objects.put(key, '3', 'd41d8cd98f00b204e9800998ecf8427e')) !== 'precondition-failed') {
      throw fail('ignores If-Match (it accepted a wrong ETag)');
    }
    if ((await objects.put(key, '4', created)) === 'precondition-failed') {
      throw fail('refuses If-Match with the current ETag');
    }
  } finally {
    await objects.delete(key).catch(() => undefined);
  }
};
