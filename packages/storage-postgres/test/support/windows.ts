import pg from 'pg';
import { postgresUrl } from './db.ts';

/**
 * The READ COMMITTED windows the statements are built around (see src/statements/claim.ts), made
 * deterministic: a second connection holds a write open in a transaction, the statement under
 * test starts (taking its snapshot) and queues on the row lock, then the write commits.
 */

/** Runs `sql` inside an open transaction on its own connection; `commit` ends it. */
export const openWrite = async (sql: string, params: readonly unknown[]) => {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  await client.query('BEGIN');
  const result = await client.query(sql, [...params]);
  return {
    rows: result.rows,
    commit: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
};

/** Resolves once `count` backends wait on a lock while running a statement that contains `marker`. */
export const waitingOnLock = async (admin: pg.Pool, marker: string, count = 1): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [marker],
    );
    if (rows[0].n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} statements containing ${marker} ever waited on a lock`);
};
