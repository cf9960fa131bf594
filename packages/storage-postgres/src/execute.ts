/** A result row as the driver returns it: column name → value. */
export type Row = Readonly<Record<string, unknown>>;

/**
 * The only thing the adapter needs from a database: run ONE statement with positional parameters
 * `$1..$n` and return its rows. `pgExecute` adapts node-postgres; another host (Windmill's data
 * tables, a proxy, a test that counts round trips) can provide its own.
 */
export type Execute = (sql: string, params: readonly unknown[]) => Promise<readonly Row[]>;

/**
 * What `pgExecute` accepts: a `pg.Pool`, a `pg.Client` or a checked-out `PoolClient` (their
 * `query` with a config object). Declared here instead of imported from pg, so that this
 * package's types need neither pg nor @types/pg installed: the Windmill package uses them
 * without pg.
 */
export interface Queryable {
  query(config: { text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
}

/**
 * Adapts a pg Pool or Client. Each call is one `query` with bound parameters (the extended
 * protocol), so a Pool runs it on any free connection, in its own implicit transaction.
 */
export const pgExecute =
  (db: Queryable): Execute =>
  async (sql, params) =>
    (await db.query({ text: sql, values: [...params] })).rows;
