import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InvalidTableOptions,
  migrate,
  pgExecute,
  postgresStorage,
  schemaSql,
  tableNames,
} from '../src/index.ts';
import { freshSchema, newPool, postgresUrl } from './support/db.ts';

describe('schema and names', () => {
  it('schema.sql is the DDL that migrate runs for the default names (regenerate: pnpm run schema:sql)', () => {
    const file = readFileSync(new URL('../src/schema.sql', import.meta.url), 'utf8');
    expect(file.endsWith(schemaSql())).toBe(true);
  });

  it.each([
    [{ schema: 'Public' }],
    [{ schema: 'a"; DROP TABLE x; --' }],
    [{ schema: '' }],
    [{ schema: 'x'.repeat(64) }],
    [{ tablePrefix: 'dx-' }],
    [{ tablePrefix: 'dx"' }],
    [{ tablePrefix: '1dx_' }],
    [{ tablePrefix: 'p'.repeat(50) }],
  ])('refuses the identifier %j before any I/O', (options) => {
    expect(() => tableNames(options)).toThrow(InvalidTableOptions);
    expect(() =>
      postgresStorage({ execute: () => Promise.reject(new Error('no I/O expected')), ...options }),
    ).toThrow(InvalidTableOptions);
  });

  it('accepts plain lower-case identifiers and an empty prefix, and quotes them', () => {
    expect(tableNames({ schema: 'app_1', tablePrefix: '' }).runs).toBe('"app_1"."runs"');
    expect(tableNames().steps).toBe('"public"."durable_x_steps"');
  });
});

describe('migrate', () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('works for a role without CREATE on the database when the schema exists (Windmill data tables)', async () => {
    const { schema, admin } = await freshSchema('limited');
    const role = `${schema}_role`;
    await admin.query(`CREATE ROLE "${role}" LOGIN`);
    await admin.query(`GRANT USAGE, CREATE ON SCHEMA "${schema}" TO "${role}"`);
    const url = new URL(postgresUrl());
    url.username = role;
    const limited = newPool(url.toString(), { max: 1 });
    try {
      await expect(limited.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)).rejects.toThrow(
        /permission denied/,
      );
      await migrate(pgExecute(limited), { schema, tablePrefix: 'other_' });
      const tables = await admin.query(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'other_%'`,
        [schema],
      );
      expect(tables.rows[0].n).toBe(3);
    } finally {
      await limited.end();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.query(`DROP ROLE "${role}"`);
      await admin.end();
    }
  });

  it('is idempotent and safe from many processes at once (8 concurrent migrations of one new schema)', async () => {
    const db = await freshSchema('migrate');
    drops.push(db.drop);
    const prefix = 'concurrent_';
    const pool = newPool(undefined, { max: 8 });
    try {
      await Promise.all(
        Array.from({ length: 8 }, () => migrate(pgExecute(pool), { schema: db.schema, tablePrefix: prefix })),
      );
      await migrate(pgExecute(pool), { schema: db.schema, tablePrefix: prefix });
      const { rows } = await pool.query(
        `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'concurrent\\_%' ORDER BY 1`,
        [db.schema],
      );
      expect(rows.map((r) => r.tablename)).toEqual([
        'concurrent_cleanups',
        'concurrent_runs',
        'concurrent_steps',
      ]);
      const { rows: indexes } = await pool.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'concurrent_runs' ORDER BY 1`,
        [db.schema],
      );
      expect(indexes.map((r) => r.indexname)).toEqual([
        'concurrent_runs_by_age',
        'concurrent_runs_by_status',
        'concurrent_runs_parked_by_age',
        'concurrent_runs_pkey',
        'concurrent_runs_running_by_age',
      ]);
    } finally {
      await pool.end();
    }
  });

  it('a storage on tables that were never migrated rejects (the core reports StorageUnavailable), it does not create them', async () => {
    const pool = newPool(undefined, { max: 1 });
    try {
      const storage = postgresStorage({ pool, schema: 'dx_never_migrated' });
      await expect(storage.read('x')).rejects.toThrow(/does not exist/);
    } finally {
      await pool.end();
    }
  });
});
