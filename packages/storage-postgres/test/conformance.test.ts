import { describeConformance } from '@td7x/durable-x-testkit';
import { pgExecute, postgresStorage } from '../src/index.ts';
import { countingExecute, freshSchema, newPool } from './support/db.ts';
import { rawReader } from './support/raw.ts';

describeConformance('postgres', async () => {
  const db = await freshSchema('conformance');
  const pool = newPool();
  const pools = [pool];
  const execute = countingExecute(pgExecute(pool));
  return {
    storage: postgresStorage({ execute, schema: db.schema }),
    roundTrips: execute.count,
    reopen: async () => {
      const other = newPool();
      pools.push(other);
      return postgresStorage({ pool: other, schema: db.schema });
    },
    raw: rawReader(db.admin, db.tables),
    close: async () => {
      await Promise.all(pools.map((p) => p.end()));
      await db.drop();
    },
  };
});
