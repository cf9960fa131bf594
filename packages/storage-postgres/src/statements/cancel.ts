import type { CancelOutcome, CancelRequest } from '@td7x/durable-x';
import type { Row } from '../execute.ts';
import type { TableNames } from '../names.ts';
import { HEAD_SELECT, toHead } from './rows.ts';
import type { Statement } from './statement.ts';

// Runs that a cancel leaves as they are.
const SETTLED = `r.status IN ('cancelled', 'completed')`;

/**
 * cancel: NOT fenced. ONE UPDATE of the head that always matches the run, so that both the
 * decision and the head it returns come from the LATEST committed row (READ COMMITTED
 * re-evaluates the SET expressions on it after the row lock), never from an older snapshot: a run
 * completed by its owner just before us is reported `completed`, untouched. A settled run keeps
 * every column. Any other run becomes `cancelled` and keeps its owner and lease: that owner's next
 * fenced write answers `cancelled`, and it runs the pending cleanups itself (or whoever claims the
 * run once the lease is over). Steps and cleanups stay; the head alone changes.
 *
 * Params: $1 run id, $2 at.
 */
export const cancelSql = (t: TableNames): string => `
UPDATE ${t.runs} r SET
  status = CASE WHEN ${SETTLED} THEN r.status ELSE 'cancelled' END,
  updated_at = CASE WHEN ${SETTLED} THEN r.updated_at ELSE $2::bigint END
WHERE r.run_id = $1::text
RETURNING ${HEAD_SELECT}`;

const parseCancel = (rows: readonly Row[]): CancelOutcome => {
  const row = rows[0];
  if (row === undefined) return { kind: 'not-found' };
  const run = toHead(row);
  return { kind: run.status === 'completed' ? 'completed' : 'cancelled', run };
};

export const cancelStatement =
  (sql: string) =>
  ({ runId, at }: CancelRequest): Statement<CancelOutcome> => ({
    sql,
    params: [runId, at],
    parse: parseCancel,
  });
