/** Test-only helpers of this repository (private package, never published). */
export * from './services.ts';
