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
  /** `name` is given for a named (prepared) statement, see `preparedStatements`. */
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: Row[] }>;
}

export interface PgExecuteOptions {
  /**
   * Named (prepared) statements: the server parses and plans each of the adapter's statements
   * once per connection, instead of on every call (most of the server's work for a step). Default
   * true. Turn it off behind a pooler in transaction mode that cannot carry them (PgBouncer before
   * 1.21, or with `max_prepared_statements = 0`): every call then sends its text.
   */
  readonly preparedStatements?: boolean;
}

/**
 * A name for a statement's text, the same in every process and for every storage on the pool
 * (pg refuses one name for two texts on a connection, so it must not depend on the order in which
 * statements are first used): FNV-1a over the text, 64 bits.
 */
export const statementName = (sql: string): string => {
  let low = 0x84222325;
  let high = 0xcbf29ce4;
  for (let i = 0; i < sql.length; i++) {
    low ^= sql.charCodeAt(i);
    // × 0x100000001b3 in two 32-bit halves
    const lowProduct = low * 0x1b3;
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + Math.floor(lowProduct / 0x100000000)) >>> 0;
    low = lowProduct >>> 0;
  }
  return `dx_${high.toString(16).padStart(8, '0')}${low.toString(16).padStart(8, '0')}`;
};

/**
 * Adapts a pg Pool or Client. Each call is one `query` with bound parameters (the extended
 * protocol), so a Pool runs it on any free connection, in its own implicit transaction; named,
 * so that each connection plans it once (see `preparedStatements`).
 */
export const pgExecute = (db: Queryable, options: PgExecuteOptions = {}): Execute => {
  if (options.preparedStatements === false) {
    return async (sql, params) => (await db.query({ text: sql, values: [...params] })).rows;
  }
  const names = new Map<string, string>();
  return async (sql, params) => {
    let name = names.get(sql);
    if (name === undefined) {
      name = statementName(sql);
      names.set(sql, name);
    }
    return (await db.query({ name, text: sql, values: [...params] })).rows;
  };
};
