import { CreateBucketCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { uniqueBucketName } from '@td7x/testing';
import { afterAll, beforeAll } from 'vitest';
import { bucketOf, newClient } from './support.ts';

/**
 * A test file's own bucket: made before its tests, emptied and deleted after them together with
 * every client `client()` gave (each what another process would open).
 */
export const bucketForFile = (label: string) => {
  const b = bucketOf(newClient(), uniqueBucketName(label));
  const clients: S3Client[] = [];
  beforeAll(async () => {
    await b.admin.send(new CreateBucketCommand({ Bucket: b.bucket }));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await b.drop();
  });
  const client = (config: Partial<S3ClientConfig> = {}): S3Client => {
    const c = newClient(process.env, config);
    clients.push(c);
    return c;
  };
  return { ...b, client };
};
