// Regenerates src/schema.sql from src/schema.ts (the source of truth). Run: pnpm run schema
import { writeFileSync } from 'node:fs';
import { schemaSql } from '../src/schema.ts';

writeFileSync(new URL('../src/schema.sql', import.meta.url), schemaSql());
