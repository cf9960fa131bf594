/**
 * Where the adapter's tables live. Identifiers cannot be bound as parameters, so they are the only
 * text ever spliced into SQL: each is checked against a strict pattern first and then quoted anyway.
 *
 * Two different option values never name the same tables, so apps sharing a database cannot see
 * each other's runs: names are lower-case (no case folding can merge them), never longer than
 * Postgres' 63 bytes (no truncation can), and no table or index name ends with another, so a
 * prefix that extends another cannot reach its names (test/schema.test.ts checks the catalog); the
 * one function, `<prefix>claim`, is the only function name either prefix makes.
 * `pg_…` schemas are refused: `pg_temp` is a different schema on every connection.
 */
export interface TableOptions {
  /** Schema of the tables; created by `migrate` if missing. Default `public`. */
  readonly schema?: string;
  /** Prefix of the table and index names. Default `durable_x_`. */
  readonly tablePrefix?: string;
}

/** Qualified, quoted names ready to splice into SQL. */
export interface TableNames {
  readonly schema: string;
  readonly runs: string;
  readonly steps: string;
  readonly cleanups: string;
  /** The qualified, quoted name of the claim function (see statements/claim.ts). */
  readonly claim: string;
  /** Quoted name of an index, in the schema: `index('by_status')`. */
  index(suffix: string): string;
  /** A stable key for `pg_advisory_xact_lock`, naming this set of tables. */
  readonly lockKey: string;
}

export const DEFAULT_SCHEMA = 'public';
export const DEFAULT_TABLE_PREFIX = 'durable_x_';

// Lower-case ASCII only: such names mean the same quoted or not, so a user's own SQL can name them bare.
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const PREFIX = /^[a-z_][a-z0-9_]*$|^$/;
// Postgres truncates identifiers beyond 63 bytes, which could merge two names silently.
const MAX_IDENTIFIER_BYTES = 63;
const LONGEST_SUFFIX = 'runs_running_by_age'.length;

export class InvalidTableOptions extends Error {
  override readonly name = 'InvalidTableOptions';
}

const quote = (identifier: string): string => `"${identifier}"`;

/** Validates the options and returns quoted names; throws `InvalidTableOptions` on a bad name. */
export const tableNames = (options: TableOptions = {}): TableNames => {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  if (!IDENTIFIER.test(schema) || schema.length > MAX_IDENTIFIER_BYTES || schema.startsWith('pg_')) {
    throw new InvalidTableOptions(
      `schema must match ${IDENTIFIER}, not start with pg_ and be at most ${MAX_IDENTIFIER_BYTES} characters, got ${JSON.stringify(schema)}`,
    );
  }
  if (!PREFIX.test(prefix) || prefix.length + LONGEST_SUFFIX > MAX_IDENTIFIER_BYTES) {
    throw new InvalidTableOptions(
      `tablePrefix must match ${PREFIX} and be at most ${MAX_IDENTIFIER_BYTES - LONGEST_SUFFIX} characters, got ${JSON.stringify(prefix)}`,
    );
  }
  const qualified = (name: string): string => `${quote(schema)}.${quote(prefix + name)}`;
  return {
    schema: quote(schema),
    runs: qualified('runs'),
    steps: qualified('steps'),
    cleanups: qualified('cleanups'),
    claim: qualified('claim'),
    index: (suffix) => quote(prefix + suffix),
    lockKey: `durable-x:${schema}.${prefix}`,
  };
};
