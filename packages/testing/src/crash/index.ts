export { appendEffect, countEffects, type LedgerEntry, readLedger } from './ledger.ts';
export type { ChildOutcome, EventSummary } from './protocol.ts';
export { crashAndResume, type KillPoint, race, runToCompletion, type ScenarioOptions } from './scenarios.ts';
export type { StorageModule } from './storage-module.ts';
export { REFERENCE_CLEANUP, REFERENCE_STEPS, type ReferenceOutput, type ReferenceStep } from './workflow.ts';
