import { uniqueSchemaName } from '@td7x/testing';
import pg from 'pg';
import { type Execute, migrate, pgExecute, type TableNames, tableNames } from '../../src/index.ts';

/** The server global-setup resolved (env var, testcontainers, or a loud failure). */
export const postgresUrl = (): string => {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: test/global-setup.ts should have resolved it');
  return url;
};

export const newPool = (url = postgresUrl(), options: pg.PoolConfig = {}): pg.Pool => {
  const pool = new pg.Pool({ connectionString: url, max: 8, ...options });
  // An idle client losing its server emits 'error' on the pool; without a listener Node would crash.
  pool.on('error', () => {});
  return pool;
};

/** An `Execute` that counts the statements sent through it. */
export const countingExecute = (inner: Execute): Execute & { count(): number } => {
  let n = 0;
  const execute = (sql: string, params: readonly unknown[]) => {
    n++;
    return inner(sql, params);
  };
  return Object.assign(execute, { count: () => n });
};

/** A fresh schema with the adapter's tables, for one test file; `drop` removes it. */
export const freshSchema = async (label: string, url = postgresUrl()) => {
  const schema = uniqueSchemaName(`dx_pg_${label}`);
  const admin = newPool(url, { max: 2 });
  await migrate(pgExecute(admin), { schema });
  const tables: TableNames = tableNames({ schema });
  return {
    schema,
    tables,
    admin,
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
};
