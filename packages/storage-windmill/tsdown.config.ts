import { defineConfig } from 'tsdown';
import { base } from '../../tsdown.base.ts';

export default defineConfig({
  ...base,
  entry: { index: 'src/index.ts', local: 'src/local/index.ts' },
  // `./local` runs on Node or Bun: their built-in modules stay imports.
  external: [/^node:/],
});
