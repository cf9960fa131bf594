// The Postgres storage module of the crash harness and of the torture campaign: each child process
// opens its own pool on the server TEST_POSTGRES_URL, in the schema DX_PG_SCHEMA (already migrated).
import type { StorageModule } from '@td7x/testing';
import { postgresStorage } from '../../src/index.ts';
import { newPool } from '../support/db.ts';

const open: StorageModule = async (env = process.env) => {
  const url = env.TEST_POSTGRES_URL;
  const schema = env.DX_PG_SCHEMA;
  if (!url || !schema) throw new Error('TEST_POSTGRES_URL and DX_PG_SCHEMA must be set');
  const pool = newPool(url, { max: 4 });
  return { storage: postgresStorage({ pool, schema }), close: () => pool.end() };
};
export default open;
