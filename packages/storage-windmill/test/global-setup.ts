import { resolveServicesIntoEnv } from '@td7x/testing';

/** Puts TEST_POSTGRES_URL into the environment of test workers and the processes they spawn. */
export default async function setup(): Promise<void> {
  await resolveServicesIntoEnv(['postgres']);
}
