import type { TableNames } from '../names.ts';
import { cancelSql, cancelStatement } from './cancel.ts';
import { claimSql, claimStatement } from './claim.ts';
import { finishSql, finishStatement } from './finish.ts';
import {
  choosePurgeStatement,
  listStatement,
  purgeChosenStatement,
  readSql,
  readStatement,
} from './queries.ts';
import { putSignalSql, putSignalStatement } from './signal.ts';
import { suspendSql, suspendStatement } from './suspend.ts';
import {
  putCleanupSql,
  putCleanupStatement,
  putStepSql,
  putStepStatement,
  putStepsSql,
  putStepsStatement,
  removeCleanupSql,
  removeCleanupStatement,
  rollbackSql,
  rollbackStatement,
  setLeaseSql,
  setLeaseStatement,
} from './writes.ts';

export type { Retry, Statement } from './statement.ts';
export type { PutStepsAnswer } from './writes.ts';

/**
 * Every operation of the storage contract as ONE SQL statement for the given tables: each entry
 * takes the contract's request and returns `{ sql, params, parse }`. The fixed SQL texts are
 * built once here; `list` and `purge` vary with the filters present. `purge` alone takes two:
 * `choosePurge`, then `purgeChosen` with the ids it chose (see queries.ts for why).
 */
export const statements = (t: TableNames) => ({
  claim: claimStatement(claimSql(t)),
  putStep: putStepStatement(putStepSql(t)),
  putSteps: putStepsStatement(putStepsSql(t)),
  putCleanup: putCleanupStatement(putCleanupSql(t)),
  removeCleanup: removeCleanupStatement(removeCleanupSql(t)),
  rollback: rollbackStatement(rollbackSql(t)),
  setLease: setLeaseStatement(setLeaseSql(t)),
  finish: finishStatement(finishSql(t)),
  suspend: suspendStatement(suspendSql(t)),
  putSignal: putSignalStatement(putSignalSql(t)),
  cancel: cancelStatement(cancelSql(t)),
  read: readStatement(readSql(t)),
  list: listStatement(t),
  choosePurge: choosePurgeStatement(t),
  purgeChosen: purgeChosenStatement(t),
});

export type Statements = ReturnType<typeof statements>;
