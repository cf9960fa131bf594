// Writes src/schema.sql from src/schema.ts (the single source of truth); a test checks they agree.
import { writeFileSync } from 'node:fs';
import { schemaSql } from '../src/schema.ts';

const header = `-- durable-x PostgreSQL schema for the default names (schema "public", table prefix "durable_x_").
-- Generated from src/schema.ts (\`pnpm run schema:sql\`); \`migrate()\` runs the same statements.
-- Idempotent. Steps and cleanups cascade from their run.

`;
writeFileSync(new URL('../src/schema.sql', import.meta.url), header + schemaSql());
