import { defineConfig } from 'tsdown';
import { base } from '../../tsdown.base.ts';

// The command is ESM only (node runs it); the library entry ships ESM + CJS like every package.
export default defineConfig([
  { ...base, entry: ['src/index.ts'] },
  { ...base, entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false, platform: 'node' },
]);
