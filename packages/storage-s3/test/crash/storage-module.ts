// The S3 storage module of the crash harness: each child process builds its OWN S3Client on the
// server TEST_S3_*, in the bucket DX_S3_BUCKET under the prefix DX_S3_PREFIX (made by the test).
import { s3Storage } from '../../src/index.ts';
import { newClient } from '../support.ts';

export default async () => {
  const bucket = process.env.DX_S3_BUCKET;
  const prefix = process.env.DX_S3_PREFIX;
  if (!bucket || prefix === undefined) throw new Error('DX_S3_BUCKET and DX_S3_PREFIX must be set');
  const client = newClient();
  return { storage: s3Storage({ client, bucket, prefix }), close: async () => client.destroy() };
};
