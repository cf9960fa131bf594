import type { PutStepOutcome, PutStepRequest, Storage } from '@td7x/durable-x';
import { type Execute, type PgExecuteOptions, pgExecute, type Queryable } from './execute.ts';
import { type TableOptions, tableNames } from './names.ts';
import { type Retry, type Statement, statements } from './statements/index.ts';

/** How the adapter reaches the database: a pg Pool, a pg Client, or any `Execute`. */
export type PostgresConnection =
  | { readonly pool: Queryable }
  | { readonly client: Queryable }
  | { readonly execute: Execute };

export type PostgresStorageOptions = PostgresConnection &
  TableOptions &
  PgExecuteOptions & {
    /**
     * How many times `claim`, `putStep` and `putSignal` re-run when they lost a race on their
     * snapshot (see statements/claim.ts). Each run is one statement; a retry only happens when
     * another process wrote the same run's records in the same instant (signals do not count).
     * Default 20.
     */
    readonly maxRetries?: number;
  };

/**
 * Largest encoded value accepted, in UTF-8 bytes. TEXT itself holds 1 GB, but a value travels as
 * one protocol message and one JS string; big payloads belong in the S3 storage.
 */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024;

/** `preparedStatements` applies to a pool or a client; an `execute` of your own decides for itself. */
const executeOf = (options: PostgresConnection & PgExecuteOptions): Execute =>
  'execute' in options
    ? options.execute
    : pgExecute('pool' in options ? options.pool : options.client, options);

const isRetry = (value: unknown): value is Retry =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'retry';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * durable-x storage on PostgreSQL. Every operation is ONE SQL statement (no transaction spans
 * round trips), so it works with a Pool, a Client, or a bridge that runs single statements; a
 * purge batch alone takes two (choose, then delete the chosen: see statements/queries.ts).
 * Create the tables first with `migrate` (or `schema.sql`). No I/O happens until a method is called.
 */
export const postgresStorage = (options: PostgresStorageOptions): Storage => {
  const execute = executeOf(options);
  const st = statements(tableNames(options));
  const maxRetries = options.maxRetries ?? 20;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    throw new TypeError(`postgres storage: maxRetries must be a whole number ≥ 0, not ${String(maxRetries)}`);
  }

  const run = async <T>(statement: Statement<T>): Promise<T> =>
    statement.parse(await execute(statement.sql, statement.params));

  /** Re-runs a statement whose snapshot lost a race; each attempt is a complete statement. */
  const runRetrying = async <T>(build: () => Statement<T | Retry>, op: string): Promise<T> => {
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      const outcome = await run(build());
      if (!isRetry(outcome)) return outcome;
      // Back off a little: the competing write has committed, the next snapshot will show it.
      await pause(Math.min(attempt, 10));
    }
    throw new Error(`postgres storage: ${op} kept racing with concurrent writes (${maxRetries} retries)`);
  };

  return {
    name: 'postgres',
    maxValueBytes: MAX_VALUE_BYTES,
    claim: (request) => run(st.claim(request)),
    putStep: (request) => runRetrying(() => st.putStep(request), 'putStep'),
    // Group commit: one statement for them all; a request whose key was taken goes again alone.
    putSteps: async (requests) => {
      if (requests.length === 0) return [];
      const answers = await run(st.putSteps(requests));
      const outcomes: PutStepOutcome[] = [];
      for (const [i, answer] of answers.entries()) {
        outcomes.push(
          answer.kind === 'again'
            ? await runRetrying(() => st.putStep(requests[i] as PutStepRequest), 'putStep')
            : answer,
        );
      }
      return outcomes;
    },
    putCleanup: (request) => run(st.putCleanup(request)),
    removeCleanup: (request) => run(st.removeCleanup(request)),
    rollback: (request) => run(st.rollback(request)),
    setLease: (request) => run(st.setLease(request)),
    finish: (request) => run(st.finish(request)),
    suspend: (request) => run(st.suspend(request)),
    putSignal: (request) => runRetrying(() => st.putSignal(request), 'putSignal'),
    cancel: (request) => run(st.cancel(request)),
    read: (runId) => run(st.read(runId)),
    list: (query) => run(st.list(query)),
    purge: async (query) => {
      const chosen = await run(st.choosePurge(query));
      return chosen.length === 0 ? 0 : run(st.purgeChosen(query, chosen));
    },
  };
};
