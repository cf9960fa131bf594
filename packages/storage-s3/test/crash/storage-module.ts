// The S3 storage module of the crash harness and of the torture campaign: each child process
// builds its OWN S3Client on the server TEST_S3_*, in the bucket DX_S3_BUCKET under the prefix
// DX_S3_PREFIX (made by the test). DX_DRIVER_RESEND=1: through a TCP proxy that can lose a PUT's answer,
// so that the AWS SDK sends the PUT again by itself (a driver resend, see `driverResend`).
import type { StorageModule } from '@td7x/testing';
import { s3Storage } from '../../src/index.ts';
import { newClient } from '../support.ts';

const open: StorageModule = async (env = process.env) => {
  const bucket = env.DX_S3_BUCKET;
  const prefix = env.DX_S3_PREFIX;
  if (!bucket || prefix === undefined) throw new Error('DX_S3_BUCKET and DX_S3_PREFIX must be set');
  if (env.DX_DRIVER_RESEND !== '1') {
    const client = newClient(env);
    return { storage: s3Storage({ client, bucket, prefix }), close: async () => client.destroy() };
  }
  const { startProxy } = await import('@td7x/testing/tcp-proxy');
  const proxy = await startProxy(env.TEST_S3_ENDPOINT ?? '');
  const client = newClient({ ...env, TEST_S3_ENDPOINT: proxy.endpoint });
  const isPut = (chunk: Buffer) => chunk.subarray(0, 4).toString('latin1') === 'PUT ';
  return {
    storage: s3Storage({ client, bucket, prefix }),
    close: async () => {
      client.destroy();
      await proxy.close();
    },
    driverResend: () => {
      const before = proxy.dropped();
      proxy.dropNextAnswer(isPut);
      return () => proxy.dropped() > before;
    },
  };
};
export default open;
