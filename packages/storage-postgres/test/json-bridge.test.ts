import { describeConformance } from '@td7x/durable-x-testkit';
import { type Execute, pgExecute, postgresStorage } from '../src/index.ts';
import { countingExecute, freshSchema, newPool } from './support/db.ts';
import { rawReader } from './support/raw.ts';

/**
 * The same statements through a bridge like Windmill's data tables: parameters and rows cross as
 * JSON (no Date, no Buffer, no BigInt survives), one statement per call. The whole conformance
 * suite must still pass: rows are JSON-friendly by construction.
 */
const viaJson = (inner: Execute): Execute => {
  return async (sql, params) => {
    const sent = JSON.parse(JSON.stringify(params)) as unknown[];
    return JSON.parse(JSON.stringify(await inner(sql, sent)));
  };
};

describeConformance('postgres through a JSON bridge', async () => {
  const db = await freshSchema('json_bridge');
  const pool = newPool();
  const pools = [pool];
  const execute = countingExecute(viaJson(pgExecute(pool)));
  return {
    storage: postgresStorage({ execute, schema: db.schema }),
    roundTrips: execute.count,
    reopen: async () => {
      const other = newPool();
      pools.push(other);
      return postgresStorage({ execute: viaJson(pgExecute(other)), schema: db.schema });
    },
    raw: rawReader(db.admin, db.tables),
    close: async () => {
      await Promise.all(pools.map((p) => p.end()));
      await db.drop();
    },
  };
});
