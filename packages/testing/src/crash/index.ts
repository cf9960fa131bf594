/**
 * A child-process crash harness for any storage. Write a storage module (a `.ts` file whose
 * default export is `async () => ({ storage, close })`, configured from environment variables),
 * then, in a test:
 *
 *   const storageModule = fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url));
 *   const { first, second, ledger } = await crashAndResume({
 *     storageModule, env: { DX_PG_URL: url, DX_PG_SCHEMA: schema }, runId: 'r1', killWhen: { inStep: 'upload' },
 *   });
 *   const { outcomes, ledger } = await race({ storageModule, env, runId: 'r2', processes: 16 });
 *
 * Each child runs `node --conditions=@td7x/source --import tsx child.ts` (from source, no build),
 * the reference workflow of `workflow.ts`, and appends every step body and cleanup it executes to
 * the ledger. The harness asserts nothing: the scenario's expectations belong in the test.
 */
export { appendEffect, countEffects, type LedgerEntry, readLedger } from './ledger.ts';
export type { ChildOutcome, EventSummary } from './protocol.ts';
export { crashAndResume, type KillPoint, race, runToCompletion, type ScenarioOptions } from './scenarios.ts';
export type { StorageModule } from './storage-module.ts';
export { REFERENCE_CLEANUP, REFERENCE_STEPS, type ReferenceOutput, type ReferenceStep } from './workflow.ts';
