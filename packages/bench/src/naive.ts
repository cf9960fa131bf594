import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * The naive engine of the crash comparison: what a careful user would hand-write with the same
 * driver. One SELECT of the run's recorded steps when a process starts, then one INSERT per step
 * that was not recorded. No owner, no lease, no fencing, no cleanups: a second process started
 * while the first still runs would run every step again. Its crash → result time is the floor of
 * any engine that records steps in this database.
 */
export interface NaiveEngine {
  /** The outputs recorded for the run, by step index. */
  recorded(runId: string): Promise<Map<number, string>>;
  record(runId: string, step: number, output: string): Promise<void>;
  close(): Promise<void>;
}

const TABLE = 'naive_steps';

/** The naive engine's table, created once before any process runs (as the adapter's tables are). */
export const createNaivePostgresTable = async (pool: pg.Pool): Promise<void> =>
  void (await pool.query(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (run_id text, step integer, output text, PRIMARY KEY (run_id, step))`,
  ));

export const naivePostgres = async (url: string): Promise<NaiveEngine> => {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  return {
    recorded: async (runId) => {
      const { rows } = await pool.query<{ step: number; output: string }>(
        `SELECT step, output FROM ${TABLE} WHERE run_id = $1`,
        [runId],
      );
      return new Map(rows.map((r) => [r.step, r.output]));
    },
    record: async (runId, step, output) =>
      void (await pool.query(
        `INSERT INTO ${TABLE} (run_id, step, output) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [runId, step, output],
      )),
    close: () => pool.end(),
  };
};

/**
 * SQLite with the pragmas the durable-x adapter sets by default (WAL, synchronous=FULL), its table
 * created on first use, as the adapter creates its own.
 */
export const naiveSqlite = async (file: string): Promise<NaiveEngine> => {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (run_id TEXT, step INTEGER, output TEXT, PRIMARY KEY (run_id, step))`,
  );
  const select = db.prepare(`SELECT step, output FROM ${TABLE} WHERE run_id = ?`);
  const insert = db.prepare(
    `INSERT INTO ${TABLE} (run_id, step, output) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  return {
    recorded: async (runId) =>
      new Map((select.all(runId) as { step: number; output: string }[]).map((r) => [r.step, r.output])),
    record: async (runId, step, output) => void insert.run(runId, step, output),
    close: async () => void db.close(),
  };
};

/** The bench workflow on the naive engine: `steps` steps, each body run unless recorded. */
export const naiveWorkflow = async (
  engine: NaiveEngine,
  runId: string,
  steps: number,
  body: (i: number) => Promise<{ i: number }>,
): Promise<number> => {
  const recorded = await engine.recorded(runId);
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const stored = recorded.get(i);
    const out = stored === undefined ? await body(i) : (JSON.parse(stored) as { i: number });
    if (stored === undefined) await engine.record(runId, i, JSON.stringify(out));
    sum += out.i;
  }
  return sum;
};
