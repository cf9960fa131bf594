import type { UserConfig } from 'tsdown';

/** Every published package ships ESM + CJS + types from the same entry points. */
export const base = {
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  platform: 'neutral',
  target: 'es2022',
  sourcemap: false,
} satisfies UserConfig;
