import { defineConfig } from 'tsdown';
import { base } from '../../tsdown.base.ts';

// ESM only: the suite imports vitest, which refuses to load from CommonJS.
export default defineConfig({ ...base, format: ['esm'], entry: ['src/index.ts'] });
