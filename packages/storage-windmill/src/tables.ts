import {
  DEFAULT_SCHEMA,
  DEFAULT_TABLE_PREFIX,
  type Execute,
  migrate,
  type TableOptions,
} from '@td7x/durable-x-postgres';

/** The text of a failure as windmill-client reports it: its message, and the body of an HTTP error. */
export const errorText = (error: unknown): string => {
  if (typeof error !== 'object' || error === null) return String(error);
  const { message, body } = error as { message?: unknown; body?: unknown };
  const bodyText = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return `${String(message ?? '')} ${bodyText}`;
};

/**
 * Creates the tables on first use, without a request in the steady state: an operation runs as is,
 * and only when the database's error names one of our tables, our claim function or our schema (it does not exist yet, in any server
 * language: the name is an identifier) are the tables created, once per storage instance, and
 * the operation sent again. A statement that failed that way changed nothing, so resending it is
 * safe. The creation is the Postgres package's `migrate`: one statement holding an advisory lock,
 * so concurrent first jobs do not trip over each other.
 */
export const creatingTables = (execute: Execute, options: TableOptions): Execute => {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  // The tables, the claim function, and the schema (a call of the function in a missing schema
  // names only the schema), as identifiers: the same in every server language.
  const names = [
    ...['runs', 'steps', 'cleanups', 'claim'].map((t) => prefix + t),
    `"${options.schema ?? DEFAULT_SCHEMA}"`,
  ];
  const namesUs = (error: unknown): boolean => {
    const text = errorText(error);
    return names.some((name) => text.includes(name));
  };
  let created: Promise<void> | undefined;
  let exist = false;
  const create = (): Promise<void> => {
    created ??= migrate(execute, options).then(
      () => {
        exist = true;
      },
      (error: unknown) => {
        created = undefined; // an outage while creating: try again on the next operation
        throw error;
      },
    );
    return created;
  };
  return async (sql, params) => {
    // Sent before the tables were known to exist: a failure naming them may be that they did not.
    const mayBeMissing = !exist;
    try {
      const rows = await execute(sql, params);
      exist = true;
      return rows;
    } catch (error) {
      if (!mayBeMissing || !namesUs(error)) throw error;
      await create();
      return execute(sql, params);
    }
  };
};
