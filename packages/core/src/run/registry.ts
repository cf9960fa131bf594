import type { Result, ResultAsync } from 'neverthrow';

export type CleanupParams = Record<string, unknown>;

/**
 * A cleanup undoes a risky operation. It may throw, reject, or return a neverthrow `Result`;
 * a failure keeps the cleanup pending so the next load retries it. Make it idempotent: a crash
 * can land after it ran and before its removal was stored.
 */
export type CleanupRunner = (
  params: CleanupParams,
) => unknown | Promise<unknown> | Result<unknown, unknown> | ResultAsync<unknown, unknown>;

/** Cleanup runners by name. Only names are stored, so the code stays in your process. */
export type CleanupRegistry = Readonly<Record<string, CleanupRunner>>;
