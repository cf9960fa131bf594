import { resolveServicesIntoEnv } from '@td7x/testing';

/** Resolves the Redis server once (TEST_REDIS_URL, or a container, or a clear error). */
export default () => resolveServicesIntoEnv(['redis']);
