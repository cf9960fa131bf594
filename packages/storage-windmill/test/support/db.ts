import { uniqueSchemaName } from '@td7x/testing';
import pg from 'pg';

/** The server global-setup resolved (env var, testcontainers, or a loud failure). */
export const postgresUrl = (): string => {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: test/global-setup.ts should have resolved it');
  return url;
};

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/**
 * A fresh database standing for one Windmill data table, for one test file: a data table is a
 * database of its own, so the default `public.durable_x_*` tables of `windmillStorage` are
 * isolated too. `admin` reads it directly (the raw reader); `drop` removes it.
 */
export const freshDatabase = async (label: string, serverUrl = postgresUrl()) => {
  const name = uniqueSchemaName(`dx_wm_${label}`);
  const server = new pg.Client({ connectionString: serverUrl });
  await server.connect();
  try {
    await server.query(`CREATE DATABASE "${name}"`);
  } finally {
    await server.end();
  }
  const url = withDatabase(serverUrl, name);
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on('error', () => {});
  return {
    name,
    url,
    admin,
    drop: async () => {
      await admin.end();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
};

export type FreshDatabase = Awaited<ReturnType<typeof freshDatabase>>;
