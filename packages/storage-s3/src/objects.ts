import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * The few object operations the adapter needs, over the user's S3Client. Conditions follow what
 * S3 servers really answer: a failed precondition is 412, or 409 (AWS: a concurrent conditional
 * write is in progress), or 404 (AWS, for If-Match on a missing key; RGW answers 412 there).
 * ETags travel unquoted: RGW 16 compares If-Match with the raw stored ETag.
 */
export interface Objects {
  /** `lastModified`: the server's time of the last write, epoch ms (0 when it sent none). */
  get(
    key: string,
  ): Promise<{ readonly text: string; readonly etag: string; readonly lastModified: number } | undefined>;
  /**
   * `condition`: an ETag (If-Match), or `'absent'` (If-None-Match: *). Resolves the new ETag
   * ('' when the server sent none: then it must not be used as a condition).
   */
  put(key: string, body: string, condition: string | 'absent'): Promise<string | 'precondition-failed'>;
  /** Unconditional PUT (out-of-line values: fresh random keys). */
  putNew(key: string, body: string): Promise<void>;
  /**
   * Deletes one object; false when `ifMatch` no longer matches. AWS honours `ifMatch`; RGW 16
   * ignores it and deletes anyway (measured), so there the caller's check-then-delete can race.
   */
  delete(key: string, ifMatch?: string): Promise<boolean>;
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Every key under `prefix` with its ETag, one LIST request per 1000 keys. */
  list(prefix: string): Promise<{ readonly key: string; readonly etag: string }[]>;
}

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '');

const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

const isMissing = (error: unknown): boolean =>
  statusOf(error) === 404 || (error as { name?: string } | null)?.name === 'NoSuchKey';

/** A missing bucket is a misconfiguration, never a lost race: it must surface, not be retried. */
const preconditionFailed = (error: unknown): boolean => {
  if ((error as { name?: string } | null)?.name === 'NoSuchBucket') return false;
  const status = statusOf(error);
  return status === 412 || status === 409 || status === 404;
};

/** S3 DeleteObjects takes at most 1000 keys per request. */
const DELETE_BATCH = 1000;

export const s3Objects = (client: S3Client, bucket: string): Objects => ({
  async get(key) {
    try {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await response.Body?.transformToString('utf-8')) ?? '';
      if (!response.ETag)
        throw new Error(`durable-x s3: the server sent no ETag for ${key}: no conditional writes`);
      return { text, etag: unquote(response.ETag), lastModified: response.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },

  async put(key, body, condition) {
    // An empty If-Match would be dropped by the SDK and the PUT would silently become unconditional.
    if (condition === '') throw new Error(`durable-x s3: refusing an unconditional write of ${key}`);
    try {
      const response = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          ...(condition === 'absent' ? { IfNoneMatch: '*' } : { IfMatch: condition }),
        }),
      );
      return unquote(response.ETag);
    } catch (error) {
      if (preconditionFailed(error)) return 'precondition-failed';
      throw error;
    }
  },

  async putNew(key, body) {
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  },

  async delete(key, ifMatch) {
    try {
      await client.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) }),
      );
      return true;
    } catch (error) {
      if (preconditionFailed(error)) return false;
      throw error;
    }
  },

  async deleteMany(keys) {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      if (batch.length === 1) {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: batch[0] }));
        continue;
      }
      const response = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = (response.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0)
        throw new Error(`durable-x s3: could not delete ${failed[0]?.Key}: ${failed[0]?.Code}`);
    }
  },

  async list(prefix) {
    const found: { key: string; etag: string }[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) found.push({ key: o.Key, etag: unquote(o.ETag) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  },
});
