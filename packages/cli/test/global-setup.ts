import { resolveServicesIntoEnv } from '@td7x/testing';

/** Puts the servers' TEST_* variables into the environment of test workers and the processes they spawn. */
export default async function setup(): Promise<void> {
  await resolveServicesIntoEnv(['postgres', 'redis', 's3']);
}
