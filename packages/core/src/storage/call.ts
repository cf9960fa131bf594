import { ResultAsync } from 'neverthrow';
import type { StorageUnavailable } from '../errors.ts';
import type { Storage, StorageOperation } from './contract.ts';

type Operation = StorageOperation;
type Request<K extends Operation> = Parameters<Storage[K]>[0];
type Outcome<K extends Operation> = Awaited<ReturnType<Storage[K]>>;

/**
 * The one boundary between the core and an adapter: every storage call goes through here, so a
 * rejection (or a synchronous throw) of any adapter becomes a typed `StorageUnavailable`.
 */
export const callStorage = <K extends Operation>(
  storage: Storage,
  op: K,
  request: Request<K>,
): ResultAsync<Outcome<K>, StorageUnavailable> => {
  const method = storage[op] as (r: Request<K>) => Promise<Outcome<K>>;
  const call = async (): Promise<Outcome<K>> => method.call(storage, request);
  return ResultAsync.fromPromise(
    call(),
    (cause): StorageUnavailable => ({ type: 'StorageUnavailable', storage: storage.name, op, cause }),
  );
};
