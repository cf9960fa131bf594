import type { ResultAsync } from 'neverthrow';
import type { StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { RunSnapshot, Storage } from '../storage/contract.ts';

/** Everything stored for a run (encoded values as stored), or undefined. Changes nothing. */
export const inspectRun =
  (storage: Storage) =>
  (runId: string): ResultAsync<RunSnapshot | undefined, StorageUnavailable> =>
    callStorage(storage, 'read', runId);
