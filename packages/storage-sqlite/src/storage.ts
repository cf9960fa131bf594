import type {
  CancelRequest,
  ClaimRequest,
  FinishRequest,
  ListQuery,
  PurgeQuery,
  PutCleanupRequest,
  PutSignalRequest,
  PutStepRequest,
  RemoveCleanupRequest,
  RollbackRequest,
  SetLeaseRequest,
  Storage,
  SuspendRequest,
} from '@td7x/durable-x';
import { whileBusy } from './busy.ts';
import type { SqliteDriver } from './driver.ts';
import { type SqliteConnection, sqliteDriver } from './drivers/detect.ts';
import { createSchema } from './migrate.ts';
import {
  cancel,
  claim,
  finish,
  list,
  purge,
  putCleanup,
  putSignal,
  putStep,
  read,
  removeCleanup,
  rollback,
  setLease,
  suspend,
} from './operations.ts';
import {
  checkBusyTimeout,
  checkTablePrefix,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_TABLE_PREFIX,
  type SqliteStorageOptions,
} from './options.ts';
import { configure } from './pragmas.ts';
import { indexNames, tableNames } from './schema.ts';
import { prepareStatements, shapedQuery } from './statements.ts';
import { type TransactionMode, transactions } from './transaction.ts';

/**
 * SQLITE_MAX_LENGTH: the largest string SQLite accepts, 1e9 bytes by default (better-sqlite3,
 * node:sqlite and bun:sqlite keep the default). It also bounds a whole row, so the run id, key and name of the record
 * must fit beside the value: keep 64 KiB for them (ids and names are ≤ 256 characters).
 * In practice V8's own string limit (~512 MiB) is reached first.
 */
export const SQLITE_MAX_VALUE_BYTES = 1_000_000_000 - 64 * 1024;

/**
 * A durable-x `Storage` on a SQLite connection the caller opened: a better-sqlite3 `Database`, a
 * `node:sqlite` `DatabaseSync`, a `bun:sqlite` `Database`, or any `SqliteDriver` (see driver.ts).
 *
 * Nothing touches the database until the first call, which (once per instance) sets the
 * connection's pragmas, creates the tables if they are missing and prepares the statements.
 * Every contract method is one SQLite transaction (`putSteps` too: the step writes of several runs
 * share its fsync); writes are IMMEDIATE, so two processes on one
 * file serialise on the write lock from the start instead of deadlocking on a lock upgrade, and
 * a transaction that finds the file locked is tried again, up to `busyTimeoutMs` (see busy.ts).
 */
export const sqliteStorage = (connection: SqliteConnection, options: SqliteStorageOptions = {}): Storage => {
  const driver = sqliteDriver(connection);
  const prefix = checkTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  const busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  const synchronous = options.synchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') {
    // Anything else would fall back to NORMAL, weaker than asked, without a word.
    throw new TypeError(
      `durable-x sqlite: synchronous must be 'full' or 'normal', not ${String(synchronous)}`,
    );
  }
  let ready: Opened | undefined;
  /** One contract method: its transaction, tried again while another process holds a lock. */
  const call =
    <A, R>(mode: TransactionMode, operation: (opened: Opened, argument: A) => R) =>
    async (argument: A): Promise<R> =>
      whileBusy(busyTimeoutMs, () => {
        // A failed first call (a locked file…) leaves `ready` unset, so the next try sets up again.
        ready ??= open(driver, { prefix, synchronous });
        const opened = ready;
        return opened.inTransaction(mode, () => operation(opened, argument));
      });

  return {
    name: 'sqlite',
    maxValueBytes: SQLITE_MAX_VALUE_BYTES,
    claim: call('IMMEDIATE', ({ s }, request: ClaimRequest) => claim(s, request)),
    putStep: call('IMMEDIATE', ({ s }, request: PutStepRequest) => putStep(s, request)),
    // Group commit: every request fenced and applied on its own, in order, in ONE transaction (one
    // fsync for them all). A failure rolls them all back, which the contract allows.
    putSteps: call('IMMEDIATE', ({ s }, requests: readonly PutStepRequest[]) =>
      requests.map((request) => putStep(s, request)),
    ),
    putCleanup: call('IMMEDIATE', ({ s }, request: PutCleanupRequest) => putCleanup(s, request)),
    removeCleanup: call('IMMEDIATE', ({ s }, request: RemoveCleanupRequest) => removeCleanup(s, request)),
    rollback: call('IMMEDIATE', ({ s }, request: RollbackRequest) => rollback(s, request)),
    setLease: call('IMMEDIATE', ({ s }, request: SetLeaseRequest) => setLease(s, request)),
    finish: call('IMMEDIATE', ({ s }, request: FinishRequest) => finish(s, request)),
    suspend: call('IMMEDIATE', ({ s }, request: SuspendRequest) => suspend(s, request)),
    putSignal: call('IMMEDIATE', ({ s }, request: PutSignalRequest) => putSignal(s, request)),
    cancel: call('IMMEDIATE', ({ s }, request: CancelRequest) => cancel(s, request)),
    // Reads are DEFERRED: in WAL mode they see one consistent snapshot and never block writers.
    read: call('DEFERRED', ({ s }, runId: string) => read(s, runId)),
    list: call('DEFERRED', ({ shaped }, query: ListQuery) => list(shaped, query)),
    purge: call('IMMEDIATE', ({ s, shaped }, query: PurgeQuery) => purge(s, shaped, query)),
  };
};

interface Setup {
  readonly prefix: string;
  readonly synchronous: 'full' | 'normal';
}

type Opened = ReturnType<typeof open>;

const open = (driver: SqliteDriver, setup: Setup) => {
  configure(driver, setup);
  createSchema(driver, setup.prefix);
  const t = tableNames(setup.prefix);
  return {
    s: prepareStatements(driver, t),
    shaped: shapedQuery(driver, t, indexNames(setup.prefix)),
    inTransaction: transactions(driver),
  };
};
