// Imported by path: @td7x/testing does not declare @td7x/durable-x as a dependency (see package.json).
import type { Storage } from '@td7x/durable-x';

/**
 * A storage module is a `.ts` file whose default export is a `StorageModule`. The crash harness
 * imports it in every child process; it is configured only from environment variables (a
 * database file, a URL, a key prefix), so each child opens its OWN client on the same namespace.
 */
export type StorageModule = () => Promise<{ readonly storage: Storage; readonly close: () => Promise<void> }>;
