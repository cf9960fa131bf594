import { fileURLToPath } from 'node:url';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import { bucketForFile } from './file-bucket.ts';
import { rawReader } from './raw.ts';

const prefix = 'crash/';
const b = bucketForFile('crash');

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
