import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mergeConfig } from 'vitest/config';

/**
 * The config of the package the matrix runs (its working directory), unchanged, plus the setup file
 * that fails every test file not running on the runtime asked for (runtime-probe.ts).
 */
const { default: own } = await import(pathToFileURL(join(process.cwd(), 'vitest.config.ts')).href);

export default mergeConfig(own, {
  test: { setupFiles: [fileURLToPath(new URL('./runtime-probe.ts', import.meta.url))] },
});
