import type { Execute, Row } from '@td7x/durable-x-postgres';
import type { DatatableSql } from './datatable.ts';

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null;

/**
 * Runs one statement of the Postgres package through a Windmill data table: one `query(...).fetch()`,
 * so one HTTP request and one SQL statement. The client declares each parameter with a type it
 * infers from the JS value (string/null → TEXT, integer → BIGINT, boolean → BOOLEAN); the
 * statements cast every parameter themselves (`$3::bigint`), so both agree. Rows come back as JSON
 * objects; the statements return numbers as float8/int4, which JSON carries exactly.
 */
export const datatableExecute = (sql: DatatableSql | (() => Promise<DatatableSql>)): Execute => {
  // wmill.datatable() is itself a function (a template tag) carrying `query`: test for `query`.
  const client = 'query' in sql ? () => Promise.resolve(sql) : sql;
  return async (text, params) => {
    const rows = await (await client())
      .query(text, ...params)
      .fetch({ resultCollection: 'last_statement_all_rows' });
    if (!Array.isArray(rows) || !rows.every(isRow)) {
      throw new Error(
        `windmill storage: the data table answered ${JSON.stringify(rows)?.slice(0, 200)}, not rows`,
      );
    }
    return rows;
  };
};
