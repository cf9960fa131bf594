/**
 * A Windmill project without pg and without @types/pg: the packed Windmill package's types (and
 * those of `/local`, which needs pg only to run) check with skipLibCheck off, as `node16` (copied
 * to windmill.mts and windmill.cts) and `bundler`. Run by Bun outside a job: the storage fails
 * naming the missing variable, before any request.
 */
import { isDurableXError, load } from '@td7x/durable-x';
import { WindmillEnvironmentError, windmillStorage } from '@td7x/durable-x-windmill';
import type { StandIn } from '@td7x/durable-x-windmill/local';

export type LocalWindmill = StandIn;

const outsideAJob = async (): Promise<string> => {
  for (const name of ['BASE_INTERNAL_URL', 'BASE_URL', 'WM_TOKEN', 'WM_WORKSPACE']) delete process.env[name];
  try {
    await load(windmillStorage)({})('no-pg');
  } catch (e) {
    const cause = isDurableXError(e, 'StorageUnavailable') ? e.error.cause : undefined;
    if (cause instanceof WindmillEnvironmentError && cause.variable === 'BASE_INTERNAL_URL') {
      return 'outside a job, load fails naming BASE_INTERNAL_URL';
    }
    throw e;
  }
  throw new Error('load succeeded outside a Windmill job');
};

outsideAJob().then((report) => console.log(`windmill.ts: ${report}`));
