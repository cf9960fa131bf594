import { resolveServicesIntoEnv } from '@td7x/testing';

/** Puts TEST_POSTGRES_URL, TEST_REDIS_URL and TEST_S3_* into the environment of workers and children. */
export default () => resolveServicesIntoEnv(['postgres', 'redis', 's3']);
