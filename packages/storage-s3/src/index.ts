/**
 * `@td7x/durable-x-s3`: durable-x checkpoints in S3 or any S3 server with conditional writes.
 * One run is one JSON document rewritten by conditional PUT (`If-Match` its ETag, or
 * `If-None-Match: *` to create it), so a fenced write is one atomic request. See README.md.
 */
export { escapeRunId, MAX_PREFIX_BYTES, runKeyOf } from './keys.ts';
export { S3_MAX_VALUE_BYTES, S3_SIGNAL_LIMITS, type S3StorageOptions, s3Storage } from './storage.ts';
export { verifyConditionalWrites } from './verify.ts';
