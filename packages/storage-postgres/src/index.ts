/**
 * `@td7x/durable-x-postgres`: durable-x storage on PostgreSQL through node-postgres (`pg`).
 * Every operation is one SQL statement behind an `execute(sql, params) → rows` seam.
 */
export {
  type Execute,
  type PgExecuteOptions,
  pgExecute,
  type Queryable,
  type Row,
  statementName,
} from './execute.ts';
export {
  DEFAULT_SCHEMA,
  DEFAULT_TABLE_PREFIX,
  InvalidTableOptions,
  type TableNames,
  type TableOptions,
  tableNames,
} from './names.ts';
export { migrate, schemaSql, schemaStatements } from './schema.ts';
export { type Retry, type Statement, type Statements, statements } from './statements/index.ts';
export {
  MAX_VALUE_BYTES,
  type PostgresConnection,
  type PostgresStorageOptions,
  postgresStorage,
} from './storage.ts';
