import { tableNames } from '@td7x/durable-x-postgres';
import { type ConformanceHarness, describeConformance } from '@td7x/durable-x-testkit';
import { uniqueSchemaName } from '@td7x/testing';
import { describe } from 'vitest';
import { datatable } from 'windmill-client';
import { type DatatableSql, datatableExecute, datatableStorage } from '../src/index.ts';
import { rawReaderOver } from './support/harness.ts';

/**
 * Opt-in: the conformance suite against a REAL Windmill, through its data table (WM_DATATABLE,
 * default `main`), in a schema of its own that is dropped afterwards. It runs only when
 * WM_TOKEN, BASE_INTERNAL_URL and WM_WORKSPACE are set (e.g. from inside a Windmill job, or a
 * token of yours and `BASE_INTERNAL_URL=https://app.windmill.dev`). This is the documented
 * exception to "a missing service is a failing test": no Windmill can run here. When it is not
 * run, vitest lists it as skipped and this file prints why; it proves nothing then.
 */
const required = ['WM_TOKEN', 'BASE_INTERNAL_URL', 'WM_WORKSPACE'] as const;
const missing = required.filter((name) => !process.env[name]);
const live = missing.length === 0;
if (!live) {
  console.warn(
    `[windmill live suite] NOT RUN: ${missing.join(', ')} not set. Only the stand-in suites ran; no real Windmill was contacted.`,
  );
}

const counting = (inner: DatatableSql): DatatableSql & { count(): number } => {
  let n = 0;
  return {
    query: (sql, ...params) => {
      n++;
      return inner.query(sql, ...params);
    },
    count: () => n,
  };
};

const liveHarness = async (): Promise<ConformanceHarness> => {
  const name = process.env.WM_DATATABLE ?? 'main';
  const schema = uniqueSchemaName('dx_wm_live');
  const sql = counting(datatable(name));
  return {
    storage: datatableStorage({ sql, schema }),
    reopen: async () => datatableStorage({ sql: datatable(name), schema }),
    raw: rawReaderOver(datatableExecute(datatable(name)), tableNames({ schema })),
    roundTrips: sql.count,
    close: async () => {
      await datatableExecute(datatable(name))(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, []);
    },
  };
};

describe.runIf(live)('LIVE Windmill (runs only with WM_TOKEN, BASE_INTERNAL_URL, WM_WORKSPACE set)', () => {
  describeConformance('windmill data table on a real Windmill', liveHarness, { concurrency: 8 });
});
