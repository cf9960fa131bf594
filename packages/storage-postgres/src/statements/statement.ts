import type { Row } from '../execute.ts';

/**
 * One SQL statement with its bound parameters and the parser of its rows. Running `sql` with
 * `params` through any `Execute` and handing the rows to `parse` is the whole operation, so another
 * host (the Windmill package) runs exactly the same SQL.
 */
export interface Statement<T> {
  readonly sql: string;
  readonly params: readonly unknown[];
  parse(rows: readonly Row[]): T;
}

/**
 * The statement ran, but on a snapshot older than a write it then had to wait for (a concurrent
 * writer committed between the statement's start and its row lock). Nothing was changed; run the
 * statement again, which takes a fresh snapshot. Only happens under a race on the same run.
 */
export interface Retry {
  readonly kind: 'retry';
}

export const RETRY: Retry = { kind: 'retry' };
