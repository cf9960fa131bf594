import { resolveServicesIntoEnv } from '@td7x/testing';

/** Resolves the Postgres server once (TEST_POSTGRES_URL, or a container, or a clear error). */
export default () => resolveServicesIntoEnv(['postgres']);
