import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { uniqueBucketName } from '@td7x/testing';

/**
 * A client on the server the global setup resolved (Ceph RGW from scripts/start-services.sh), or on
 * `env`'s; `config` overrides (an endpoint through a proxy, timeouts).
 */
export const newClient = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  config: Partial<S3ClientConfig> = {},
): S3Client => {
  const endpoint = env.TEST_S3_ENDPOINT;
  if (!endpoint)
    throw new Error('TEST_S3_ENDPOINT is not set: the vitest global setup should have resolved it');
  return new S3Client({
    endpoint,
    region: env.TEST_S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.TEST_S3_ACCESS_KEY ?? 'testkey',
      secretAccessKey: env.TEST_S3_SECRET_KEY ?? 'testsecret',
    },
    ...config,
  });
};

/** Counts every HTTP request the client sends, retries included (the middleware runs per attempt). */
export const countRequests = (client: S3Client): { count: () => number; byCommand: Map<string, number> } => {
  let count = 0;
  const byCommand = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      count++;
      const name = context.commandName ?? '?';
      byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'deserialize', name: 'dxCountRequests' },
  );
  return { count: () => count, byCommand };
};

/** One bucket per test file: created here, emptied and deleted by `drop`. */
export const freshBucket = async (label: string) => {
  const admin = newClient();
  const bucket = uniqueBucketName(label);
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucketOf(admin, bucket);
};

/** An existing bucket, read and dropped through `admin` (which `drop` destroys). */
export const bucketOf = (admin: S3Client, bucket: string) => ({
  bucket,
  admin,
  /** Every key in the bucket. */
  keys: async (prefix = ''): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await admin.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  },
  getText: async (key: string): Promise<string | undefined> => {
    try {
      const r = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await r.Body?.transformToString('utf-8');
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  },
  drop: async () => {
    for (;;) {
      const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
    admin.destroy();
  },
});

export type FreshBucket = ReturnType<typeof bucketOf>;
