/**
 * The crash harness, for the adapters' process tests and the torture campaign alike. Write a
 * storage module (a `.ts` file whose default export opens the storage from environment variables,
 * see storage-module.ts), then, in a test:
 *
 *   const storageModule = fileURLToPath(new URL('./crash/storage-module.ts', import.meta.url));
 *   const { first, second, ledger } = await crashAndResume({
 *     storageModule, env: { DX_PG_SCHEMA: schema }, runId: 'r1', killWhen: { inStep: 'upload' },
 *   });
 *   const { outcomes, ledger } = await race({ storageModule, env, runId: 'r2', processes: 16 });
 *
 * Each child runs `node --conditions=@td7x/source --import tsx child.ts` (from source, no build)
 * or a bundle of `worker.ts` (the campaign's): one attempt of the reference workflow of
 * `workflow.ts` under a fault plan (`faults.ts`), appending every step body, cleanup, resend and
 * cancellation it sees to the ledger. The harness asserts nothing: expectations belong to the caller.
 */
export {
  describePlan,
  die,
  type FaultHooks,
  type FaultMode,
  type FaultPlan,
  faultyStorage,
  KILLS,
  parsePlan,
} from './faults.ts';
export { appendEffect, countEffects, type LedgerEntry, type LedgerKind, readLedger } from './ledger.ts';
export { type ChildOutcome, ENV, type EventSummary } from './protocol.ts';
export { crashFreeOutput } from './reference.ts';
export {
  crashAndResume,
  type KillPoint,
  newLedger,
  race,
  runToCompletion,
  type ScenarioOptions,
} from './scenarios.ts';
export { SOURCE_CHILD, type SpawnedChild, type SpawnOptions, spawnChild } from './spawn.ts';
export type { OpenedStorage, StorageModule } from './storage-module.ts';
export { runWorker } from './worker.ts';
export {
  APPROVAL,
  approvalOf,
  CHARGE_ATTEMPTS,
  COOL_OFF,
  type Executed,
  REFERENCE_CLEANUP,
  REFERENCE_STEPS,
  type ReferenceOutput,
  type ReferenceStep,
  ROLLBACKABLE,
  referenceWorkflow,
  registryOf,
  type WorkflowHooks,
  type WorkflowShape,
} from './workflow.ts';
