/** Test-only helpers of this repository (private package, never published). */

export * from './crash/index.ts';
export * from './services.ts';
