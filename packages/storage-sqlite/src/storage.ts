import type {
  ClaimOutcome,
  ClaimRequest,
  Fenced,
  FinishRequest,
  ListQuery,
  PurgeQuery,
  PutCleanupRequest,
  PutStepOutcome,
  PutStepRequest,
  RemoveCleanupRequest,
  RollbackRequest,
  RunHead,
  RunSnapshot,
  SetLeaseRequest,
  Storage,
} from '@td7x/durable-x';
import type { Database } from 'better-sqlite3';
import { migrate } from './migrate.ts';
import {
  checkBusyTimeout,
  checkTablePrefix,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_TABLE_PREFIX,
  type SqliteStorageOptions,
} from './options.ts';
import { tableNames } from './schema.ts';
import { prepareStatements, type QueryShape, type Statements, shapedQuery } from './statements.ts';

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
 * file serialise on the write lock from the start instead of deadlocking on a lock upgrade.
 */
export const sqliteStorage = (db: Database, options: SqliteStorageOptions = {}): Storage => {
  const prefix = checkTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  const busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  const synchronous = options.synchronous ?? 'full';
  let ready: Transactions | undefined;
  // A failed first call (a locked file…) leaves `ready` unset, so the next call tries again.
  const tx = (): Transactions => {
    ready ??= openTransactions(db, { prefix, busyTimeoutMs, synchronous });
    return ready;
  };

  return {
    name: 'sqlite',
    maxValueBytes: SQLITE_MAX_VALUE_BYTES,
    claim: async (request) => tx().claim.immediate(request),
    putStep: async (request) => tx().putStep.immediate(request),
    putCleanup: async (request) => tx().putCleanup.immediate(request),
    removeCleanup: async (request) => tx().removeCleanup.immediate(request),
    rollback: async (request) => tx().rollback.immediate(request),
    setLease: async (request) => tx().setLease.immediate(request),
    finish: async (request) => tx().finish.immediate(request),
    // Reads are DEFERRED: in WAL mode they see one consistent snapshot and never block writers.
    read: async (runId) => tx().read.deferred(runId),
    list: async (query) => tx().list.deferred(query),
    purge: async (query) => tx().purge.immediate(query),
  };
};

interface Setup {
  readonly prefix: string;
  readonly busyTimeoutMs: number;
  readonly synchronous: 'full' | 'normal';
}

type Transactions = ReturnType<typeof openTransactions>;

/**
 * busy_timeout first, so that the pragmas and the DDL below already wait for other processes.
 * WAL lets readers run beside the one writer and makes a commit one append to the log.
 * The pragmas are per connection except journal_mode, which the file remembers.
 */
const configure = (db: Database, setup: Setup): void => {
  db.pragma(`busy_timeout = ${setup.busyTimeoutMs}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${setup.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
};

const openTransactions = (db: Database, setup: Setup) => {
  configure(db, setup);
  migrate(db, { tablePrefix: setup.prefix });
  const t = tableNames(setup.prefix);
  const s = prepareStatements(db, t);
  const shaped = shapedQuery(db, t);
  return {
    claim: db.transaction((request: ClaimRequest) => claim(s, request)),
    putStep: db.transaction((request: PutStepRequest) => putStep(s, request)),
    putCleanup: db.transaction(({ runId, owner, record }: PutCleanupRequest) =>
      fenced(s, runId, owner, () =>
        s.putCleanup.run(runId, record.id, record.name, record.seq, record.params, record.at),
      ),
    ),
    removeCleanup: db.transaction(({ runId, owner, id }: RemoveCleanupRequest) =>
      fenced(s, runId, owner, () => s.removeCleanup.run(runId, id)),
    ),
    rollback: db.transaction(({ runId, owner, cleanupId, afterSeq }: RollbackRequest) =>
      fenced(s, runId, owner, () => {
        s.removeCleanup.run(runId, cleanupId);
        s.forgetStepsAfter.run(runId, afterSeq);
      }),
    ),
    setLease: db.transaction(
      ({ runId, owner, leaseExpiresAt, now }: SetLeaseRequest): Fenced =>
        s.setLease.run({ runId, owner, leaseExpiresAt, now }).changes === 1 ? 'ok' : 'lease-lost',
    ),
    finish: db.transaction((request: FinishRequest) => finish(s, request)),
    read: db.transaction((runId: string): RunSnapshot | undefined => {
      const head = s.head.get(runId);
      return head ? snapshotOf(s, head) : undefined;
    }),
    list: db.transaction((query: ListQuery): readonly RunHead[] => list(shaped, query)),
    purge: db.transaction((query: PurgeQuery): number => purge(s, shaped, query)),
  };
};

const snapshotOf = (s: Statements, run: RunHead): RunSnapshot => ({
  run,
  steps: s.steps.all(run.runId),
  cleanups: s.cleanups.all(run.runId),
});

const claim = (s: Statements, { runId, owner, now, leaseMs }: ClaimRequest): ClaimOutcome => {
  const leaseExpiresAt = now + leaseMs;
  const head = s.head.get(runId);
  if (!head) {
    s.createRun.run({ runId, owner, leaseExpiresAt, now });
    const run: RunHead = {
      runId,
      status: 'running',
      owner,
      leaseExpiresAt,
      attempt: 1,
      createdAt: now,
      updatedAt: now,
      error: null,
    };
    return { kind: 'claimed', snapshot: { run, steps: [], cleanups: [] } };
  }
  if (head.status === 'completed') return { kind: 'completed', snapshot: snapshotOf(s, head) };
  const free = head.owner === null || head.leaseExpiresAt <= now || head.owner === owner;
  if (!free) return { kind: 'busy', run: head };
  s.takeOver.run({ runId, owner, leaseExpiresAt, now });
  const run: RunHead = {
    ...head,
    status: 'running',
    owner,
    leaseExpiresAt,
    attempt: head.attempt + 1,
    updatedAt: now,
  };
  return { kind: 'claimed', snapshot: snapshotOf(s, run) };
};

/** Runs `change` only while `owner` holds the run (inside the caller's transaction). */
const fenced = (s: Statements, runId: string, owner: string, change: () => void): Fenced => {
  if (s.owner.get(runId)?.owner !== owner) return 'lease-lost';
  change();
  return 'ok';
};

const putStep = (s: Statements, { runId, owner, record }: PutStepRequest): PutStepOutcome => {
  if (s.owner.get(runId)?.owner !== owner) return { kind: 'lease-lost' };
  const { changes } = s.insertStep.run(runId, record.key, record.name, record.seq, record.output, record.at);
  if (changes === 1) return { kind: 'written' };
  // The first stored record wins; it exists, since we hold the write lock since the insert.
  return { kind: 'exists', record: s.step.get(runId, record.key)! };
};

const finish = (s: Statements, { runId, owner, status, at, error, dropCleanups }: FinishRequest): Fenced => {
  if (s.finish.run({ runId, owner, status, at, error }).changes !== 1) return 'lease-lost';
  if (dropCleanups) s.deleteCleanups.run(runId);
  return 'ok';
};

type Shaped = ReturnType<typeof shapedQuery>;

const list = (shaped: Shaped, query: ListQuery): readonly RunHead[] => {
  const statuses = [...new Set(query.statuses ?? [])];
  if (query.statuses !== undefined && statuses.length === 0) return [];
  const shape: QueryShape = {
    statuses: statuses.length,
    updatedBefore: query.updatedBefore !== undefined,
    leaseExpiredAt: query.leaseExpiredAt !== undefined,
    after: query.after !== undefined,
  };
  const params = [
    ...statuses,
    ...(query.updatedBefore === undefined ? [] : [query.updatedBefore]),
    ...(query.leaseExpiredAt === undefined ? [] : [query.leaseExpiredAt]),
    ...(query.after === undefined ? [] : [query.after.updatedAt, query.after.runId]),
    query.limit,
  ];
  return shaped.heads(shape).all(...params);
};

const purge = (s: Statements, shaped: Shaped, { statuses, updatedBefore, limit }: PurgeQuery): number => {
  const unique = [...new Set(statuses)];
  if (unique.length === 0) return 0;
  const shape = { statuses: unique.length, updatedBefore: true, leaseExpiredAt: false, after: false };
  const doomed = shaped.runIds(shape).all(...unique, updatedBefore, limit);
  for (const { runId } of doomed) {
    s.deleteSteps.run(runId);
    s.deleteCleanups.run(runId);
    s.deleteRun.run(runId);
  }
  return doomed.length;
};
