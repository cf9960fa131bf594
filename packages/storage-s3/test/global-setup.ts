import { resolveServicesIntoEnv } from '@td7x/testing';

/** Puts TEST_S3_* into the environment of test workers and the processes they spawn. */
export default () => resolveServicesIntoEnv(['s3']);
