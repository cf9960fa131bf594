/**
 * The driver seam: the little the adapter needs from a SQLite connection, so that it runs on
 * better-sqlite3 (Node), `node:sqlite` (Node ≥ 22.5, Deno) and `bun:sqlite` (Bun) alike, or on
 * any other synchronous SQLite binding given as a `SqliteDriver`. Every SQL text the adapter runs
 * uses positional `?` parameters only, which every binding understands.
 */

/** What the adapter binds: text and integers (epoch ms, counts), or NULL. */
export type SqliteValue = string | number | null;

/** A result row, column name → value. Integers may come back as `bigint`: the adapter converts. */
export type SqliteRow = Readonly<Record<string, unknown>>;

/** A statement, prepared once and run many times with positional parameters. */
export interface SqliteStatement {
  /** Runs it; resolves how many rows it inserted, updated or deleted. */
  run(params: readonly SqliteValue[]): number | bigint;
  /** The first row, or no row: `undefined` or `null` (bun:sqlite says null). */
  get(params: readonly SqliteValue[]): SqliteRow | undefined | null;
  all(params: readonly SqliteValue[]): readonly SqliteRow[];
}

export interface SqliteDriver {
  /** Names the binding in error messages (`better-sqlite3`, `node:sqlite`, `bun:sqlite`, …). */
  readonly driver: string;
  /** Prepares one statement; the adapter keeps it and reuses it for the life of the storage. */
  prepare(sql: string): SqliteStatement;
  /** Runs SQL that returns nothing the adapter reads (pragmas it sets, DDL). */
  exec(sql: string): void;
}

/** True for a `SqliteDriver` (a connection object itself has no `driver` name). */
export const isSqliteDriver = (value: unknown): value is SqliteDriver =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { driver?: unknown }).driver === 'string' &&
  typeof (value as { prepare?: unknown }).prepare === 'function' &&
  typeof (value as { exec?: unknown }).exec === 'function';
