// Writes src/schema.sql from src/schema.ts (the single source of truth); a test checks they agree.
import { writeFileSync } from 'node:fs';
import { schemaSql } from '../src/schema.ts';

const header = `-- durable-x PostgreSQL schema for the default names (schema "public", table prefix "durable_x_").
-- Generated from src/schema.ts (\`pnpm run schema:sql\`); \`migrate()\` runs the same statements.
-- Idempotent. A purge deletes a run with its steps and cleanups; claim is a function (statements/claim.ts).

`;
writeFileSync(new URL('../src/schema.sql', import.meta.url), header + schemaSql());
