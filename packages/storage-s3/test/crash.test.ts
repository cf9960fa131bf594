import { fileURLToPath } from 'node:url';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import { afterAll, beforeAll } from 'vitest';
import { rawReader } from './raw.ts';
import { type FreshBucket, freshBucket } from './support.ts';

const prefix = 'crash/';
let b: FreshBucket;
beforeAll(async () => {
  b = await freshBucket('crash');
});
afterAll(async () => {
  await b?.drop();
});

describeProcessSuite('s3', () => ({
  storageModule: fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url)),
  namespace: () => ({
    TEST_S3_ENDPOINT: process.env.TEST_S3_ENDPOINT ?? '',
    TEST_S3_ACCESS_KEY: process.env.TEST_S3_ACCESS_KEY ?? '',
    TEST_S3_SECRET_KEY: process.env.TEST_S3_SECRET_KEY ?? '',
    TEST_S3_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
    DX_S3_BUCKET: b.bucket,
    DX_S3_PREFIX: prefix,
  }),
  raw: () => rawReader(b, prefix),
}));
