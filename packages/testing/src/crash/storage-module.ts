import type { Storage } from '@td7x/durable-x';

/** A storage a child opened, and how to close it. */
export interface OpenedStorage {
  readonly storage: Storage;
  readonly close: () => Promise<void>;
  /** How to make the driver resend a request by itself (see faults.ts `FaultHooks.driverResend`). */
  readonly driverResend?: (() => () => boolean) | undefined;
}

/**
 * A storage module is a `.ts` file whose default export is a `StorageModule`. The crash harness
 * imports it in every child process; it is configured only from environment variables (a
 * database file, a URL, a key prefix), so each child opens its OWN client on the same namespace.
 */
export type StorageModule = (env?: Readonly<Record<string, string | undefined>>) => Promise<OpenedStorage>;
