import { resolveServicesIntoEnv } from '@td7x/testing';

/** The quick starts run against the real servers: Postgres (HTTP) and Redis (BullMQ). */
export default () => resolveServicesIntoEnv(['postgres', 'redis']);
