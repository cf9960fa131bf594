import { fileURLToPath } from 'node:url';
import { describeProcessSuite } from '@td7x/testing/process-suite';
import { afterAll, beforeAll } from 'vitest';
import { freshSchema, postgresUrl } from './support/db.ts';
import { rawReader } from './support/raw.ts';

let db: Awaited<ReturnType<typeof freshSchema>>;
beforeAll(async () => {
  db = await freshSchema('crash');
});
afterAll(async () => {
  await db?.drop();
});

describeProcessSuite('postgres', () => ({
  storageModule: fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url)),
  namespace: () => ({ TEST_POSTGRES_URL: postgresUrl(), DX_PG_SCHEMA: db.schema }),
  raw: () => rawReader(db.admin, db.tables),
}));
