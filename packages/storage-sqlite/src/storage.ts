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
  RunHead,
  SetLeaseRequest,
  Storage,
  SuspendRequest,
} from '@td7x/durable-x';
import type { Database } from 'better-sqlite3';
import { whileBusy } from './busy.ts';
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
import { tableNames } from './schema.ts';
import { prepareStatements, shapedQuery } from './statements.ts';

/**
 * SQLITE_MAX_LENGTH: the largest string SQLite accepts, 1e9 bytes in better-sqlite3's build
 * (and SQLite's default). It also bounds a whole row, so the run id, key and name of the record
 * must fit beside the value: keep 64 KiB for them (ids and names are ≤ 256 characters).
 * In practice V8's own string limit (~512 MiB) is reached first.
 */
export const SQLITE_MAX_VALUE_BYTES = 1_000_000_000 - 64 * 1024;

/**
 * A durable-x `Storage` on a better-sqlite3 connection the caller opened.
 *
 * Nothing touches the database until the first call, which (once per instance) sets the
 * connection's pragmas, creates the tables if they are missing and prepares the statements.
 * Every contract method is one SQLite transaction; writes are IMMEDIATE, so two processes on one
 * file serialise on the write lock from the start instead of deadlocking on a lock upgrade, and
 * a transaction that finds the file locked is tried again, up to `busyTimeoutMs` (see busy.ts).
 */
export const sqliteStorage = (db: Database, options: SqliteStorageOptions = {}): Storage => {
  const prefix = checkTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  const busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  const synchronous = options.synchronous ?? 'full';
  let ready: Transactions | undefined;
  // A failed first call (a locked file…) leaves `ready` unset, so the next try sets up again.
  const tx = (): Transactions => {
    ready ??= openTransactions(db, { prefix, synchronous });
    return ready;
  };
  /** One contract method: its transaction, tried again while another process holds a lock. */
  const call =
    <A, R>(pick: (t: Transactions) => (argument: A) => R) =>
    async (argument: A): Promise<R> =>
      whileBusy(busyTimeoutMs, () => pick(tx())(argument));

  return {
    name: 'sqlite',
    maxValueBytes: SQLITE_MAX_VALUE_BYTES,
    claim: call((t) => t.claim.immediate),
    putStep: call((t) => t.putStep.immediate),
    putCleanup: call((t) => t.putCleanup.immediate),
    removeCleanup: call((t) => t.removeCleanup.immediate),
    rollback: call((t) => t.rollback.immediate),
    setLease: call((t) => t.setLease.immediate),
    finish: call((t) => t.finish.immediate),
    suspend: call((t) => t.suspend.immediate),
    putSignal: call((t) => t.putSignal.immediate),
    cancel: call((t) => t.cancel.immediate),
    // Reads are DEFERRED: in WAL mode they see one consistent snapshot and never block writers.
    read: call((t) => t.read.deferred),
    list: call((t) => t.list.deferred),
    purge: call((t) => t.purge.immediate),
  };
};

interface Setup {
  readonly prefix: string;
  readonly synchronous: 'full' | 'normal';
}

type Transactions = ReturnType<typeof openTransactions>;

const openTransactions = (db: Database, setup: Setup) => {
  configure(db, setup);
  createSchema(db, setup.prefix);
  const t = tableNames(setup.prefix);
  const s = prepareStatements(db, t);
  const shaped = shapedQuery(db, t);
  return {
    claim: db.transaction((request: ClaimRequest) => claim(s, request)),
    putStep: db.transaction((request: PutStepRequest) => putStep(s, request)),
    putCleanup: db.transaction((request: PutCleanupRequest) => putCleanup(s, request)),
    removeCleanup: db.transaction((request: RemoveCleanupRequest) => removeCleanup(s, request)),
    rollback: db.transaction((request: RollbackRequest) => rollback(s, request)),
    setLease: db.transaction((request: SetLeaseRequest) => setLease(s, request)),
    finish: db.transaction((request: FinishRequest) => finish(s, request)),
    suspend: db.transaction((request: SuspendRequest) => suspend(s, request)),
    putSignal: db.transaction((request: PutSignalRequest) => putSignal(s, request)),
    cancel: db.transaction((request: CancelRequest) => cancel(s, request)),
    read: db.transaction((runId: string) => read(s, runId)),
    list: db.transaction((query: ListQuery): readonly RunHead[] => list(shaped, query)),
    purge: db.transaction((query: PurgeQuery): number => purge(s, shaped, query)),
  };
};
