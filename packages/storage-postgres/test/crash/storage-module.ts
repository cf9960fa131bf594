// The Postgres storage module of the crash harness: each child process opens its own pool on the
// server TEST_POSTGRES_URL, in the schema DX_PG_SCHEMA (already migrated by the test).
import pg from 'pg';
import { postgresStorage } from '../../src/index.ts';

export default async () => {
  const url = process.env.TEST_POSTGRES_URL;
  const schema = process.env.DX_PG_SCHEMA;
  if (!url || !schema) throw new Error('TEST_POSTGRES_URL and DX_PG_SCHEMA must be set');
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return { storage: postgresStorage({ pool, schema }), close: () => pool.end() };
};
