import { fileURLToPath } from 'node:url';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import { prefixForFile } from './file-prefix.ts';
import { rawReader, sharedRedisUrl } from './support.ts';

// The process scenarios every adapter runs (SIGKILL in and out of the risky window, then a
// resume; 16 processes racing on one run id), with this package's storage module.
const { prefix, redis } = prefixForFile('harness');

describeProcessSuite('redis', () => ({
  storageModule: fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url)),
  namespace: () => ({ TEST_REDIS_URL: sharedRedisUrl(), DX_PREFIX: prefix }),
  raw: () => rawReader(redis, prefix),
}));
