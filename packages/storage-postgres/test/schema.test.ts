import { readFileSync } from 'node:fs';
import type pg from 'pg';
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
  it.each([-1, 1.5, Number.NaN])('refuses maxRetries: %s at construction, before any I/O', (maxRetries) => {
    const execute = () => Promise.reject(new Error('no I/O expected'));
    expect(() => postgresStorage({ execute, maxRetries })).toThrow(/maxRetries must be/);
  });

  it('schema.sql is the DDL that migrate runs for the default names (regenerate: pnpm run schema:sql)', () => {
    const file = readFileSync(new URL('../src/schema.sql', import.meta.url), 'utf8');
    expect(file.endsWith(schemaSql())).toBe(true);
  });

  it.each([
    [{ schema: 'Public' }],
    [{ schema: 'a"; DROP TABLE x; --' }],
    [{ schema: '' }],
    [{ schema: 'x'.repeat(64) }],
    // pg_temp names each session's own temporary schema: every connection of a pool would see other tables.
    [{ schema: 'pg_temp' }],
    [{ schema: 'pg_catalog' }],
    [{ tablePrefix: 'dx-' }],
    [{ tablePrefix: 'dx"' }],
    [{ tablePrefix: '1dx_' }],
    // Unquoted SQL folds case: `App_runs` and `app_runs` would be one table to a user's own queries.
    [{ tablePrefix: 'App_' }],
    [{ tablePrefix: 'p'.repeat(45) }],
  ])('refuses the identifier %j before any I/O', (options) => {
    expect(() => tableNames(options)).toThrow(InvalidTableOptions);
    expect(() =>
      postgresStorage({ execute: () => Promise.reject(new Error('no I/O expected')), ...options }),
    ).toThrow(InvalidTableOptions);
  });

  it('accepts plain lower-case identifiers, an empty prefix and the longest prefix, and quotes them', () => {
    expect(tableNames({ schema: 'app_1', tablePrefix: '' }).runs).toBe('"app_1"."runs"');
    expect(tableNames().steps).toBe('"public"."durable_x_steps"');
    expect(tableNames({ tablePrefix: 'p'.repeat(44) }).index('runs_running_by_age')).toHaveLength(65);
  });
});

describe('tenants sharing a database', () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  /** Names of the relations and types of a schema whose name starts with `prefix`, without it. */
  const namesIn = async (admin: pg.Pool, schema: string, prefix: string) => {
    const { rows } = await admin.query(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = $1::regnamespace
       UNION SELECT typname FROM pg_type WHERE typnamespace = $1::regnamespace`,
      [schema],
    );
    return rows
      .map((r) => r.name as string)
      .filter((n) => n.startsWith(prefix))
      .map((n) => n.slice(prefix.length));
  };

  it('no name the tables take is a proper suffix of another, so two prefixes never name the same relation', async () => {
    const db = await freshSchema('suffixes');
    drops.push(db.drop);
    await migrate(pgExecute(db.admin), { schema: db.schema, tablePrefix: 'p_' });
    const names = await namesIn(db.admin, db.schema, 'p_');
    // Tables, their row types, primary keys and indexes (array types start with `_`, before the prefix).
    expect(names).toEqual(expect.arrayContaining(['runs', 'steps', 'cleanups', 'runs_pkey', 'runs_by_age']));
    // p + a = q + b with p ≠ q means one prefix extends the other and one name ends with another.
    const overlaps = names.flatMap((a) =>
      names.filter((b) => a !== b && a.endsWith(b)).map((b) => `${a} ⊃ ${b}`),
    );
    expect(overlaps).toEqual([]);
  });

  it.each([
    ['', 'runs_'],
    ['p_', '_p_'], // `_p_runs` is also the name of p_runs' array type, which Postgres moves aside
    ['_p_', 'p_'],
    [`${'a'.repeat(43)}b`, `${'a'.repeat(43)}c`], // the longest prefixes: nothing is truncated
  ])('prefixes %j and %j in one schema keep their runs apart', async (first, second) => {
    const db = await freshSchema('tenants');
    drops.push(db.drop);
    const [one, two] = [first, second].map((tablePrefix) => ({
      tablePrefix,
      storage: postgresStorage({ pool: db.admin, schema: db.schema, tablePrefix }),
    }));
    for (const { tablePrefix } of [one!, two!])
      await migrate(pgExecute(db.admin), { schema: db.schema, tablePrefix });
    const { rows } = await db.admin.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [
      db.schema,
    ]);
    const expected = [first, second].flatMap((p) => ['runs', 'steps', 'cleanups'].map((t) => p + t));
    expect(rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(expected));
    await one!.storage.claim({ runId: 'r', owner: 'a', now: 0, leaseMs: 10 });
    await one!.storage.putStep({
      runId: 'r',
      owner: 'a',
      record: { key: 'k', name: 'k', seq: 1, output: '1', at: 0 },
    });
    expect(await two!.storage.read('r')).toBeUndefined();
    expect(await two!.storage.list({ limit: 10 })).toEqual([]);
    expect(await two!.storage.claim({ runId: 'r', owner: 'b', now: 0, leaseMs: 10 })).toMatchObject({
      kind: 'claimed',
      previousStatus: null,
      snapshot: { steps: [] },
    });
    expect((await one!.storage.read('r'))?.run.owner).toBe('a');
  });

  it('two schemas with the same prefix keep their runs apart', async () => {
    const [a, b] = await Promise.all([freshSchema('tenant_a'), freshSchema('tenant_b')]);
    drops.push(a.drop, b.drop);
    const one = postgresStorage({ pool: a.admin, schema: a.schema });
    const two = postgresStorage({ pool: a.admin, schema: b.schema });
    await one.claim({ runId: 'r', owner: 'a', now: 0, leaseMs: 10 });
    expect(await two.read('r')).toBeUndefined();
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
        'concurrent_runs_parked_by_wake',
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
