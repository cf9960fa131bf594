// Writes src/migration/up.sql from @td7x/durable-x-postgres's schemaSql() (the DDL the storage runs on
// first use); test/windmill.test.ts checks they agree.
import { writeFileSync } from 'node:fs';
import { schemaSql } from '@td7x/durable-x-postgres';

const header = `-- durable-x tables for a Windmill data table (default names: schema public, prefix durable_x_).
-- The same DDL the storage runs on first use; generated from @td7x/durable-x-postgres schemaSql()
-- (\`pnpm run migration:sql\`).

`;
writeFileSync(new URL('../src/migration/up.sql', import.meta.url), header + schemaSql());
