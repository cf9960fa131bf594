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
 * every column, its version included (nothing was written, so no claim needs to re-run). Any other
 * run becomes `cancelled` with no owner, so its owner's next fenced write finds `owner <> $2`.
 * Steps and cleanups stay: whoever claims the run next runs its cleanups.
 *
 * Params: $1 run id, $2 at.
 */
export const cancelSql = (t: TableNames): string => `
UPDATE ${t.runs} r SET
  status = CASE WHEN ${SETTLED} THEN r.status ELSE 'cancelled' END,
  owner = CASE WHEN ${SETTLED} THEN r.owner ELSE NULL END,
  lease_expires_at = CASE WHEN ${SETTLED} THEN r.lease_expires_at ELSE 0 END,
  updated_at = CASE WHEN ${SETTLED} THEN r.updated_at ELSE $2::bigint END,
  version = CASE WHEN ${SETTLED} THEN r.version ELSE r.version + 1 END
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
