import { defineConfig } from 'tsdown';
import { base } from '../../tsdown.base.ts';

export default defineConfig({
  ...base,
  entry: { index: 'src/index.ts', result: 'src/result.ts', node: 'node/index.ts' },
  // `node:` built-ins stay imports of the runtime (Node, Bun, Deno), never bundled.
  external: [/^node:/],
});
