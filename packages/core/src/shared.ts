// What both entry points export unchanged: types, errors, codecs, clocks, the storage contract.
export { type Clock, type ManualClock, manualClock, systemClock } from './clock.ts';
export { canonicalText } from './codec/canonical.ts';
export { type Codec, defaultCodec } from './codec/codec.ts';
export { sha256Hex } from './codec/hash.ts';
export { EncodeError } from './codec/tagged.ts';
export { suspensionOf } from './control/suspension.ts';
export * from './errors.ts';
export type { DurableEvent, EventListener } from './run/events.ts';
export { executorLiveness } from './run/executor-liveness.ts';
export type { Checkpoint } from './run/handle.ts';
export type { Liveness, LivenessCheck } from './run/liveness.ts';
export { MAX_NAME_CHARS } from './run/names.ts';
export { ownerIdentity, type ParsedOwner, parseOwner } from './run/owner.ts';
export type { CleanupParams, CleanupRegistry, CleanupRunner } from './run/registry.ts';
export { isNonRetryable, NonRetryableError, type RetryPolicy } from './run/retry.ts';
export { type Received, SIGNAL_LIMITS } from './run/signal-record.ts';
export type * from './storage/contract.ts';
export {
  FOREVER,
  OPTIONAL_STORAGE_OPERATIONS,
  RUN_STATUSES,
  STORAGE_OPERATIONS,
} from './storage/contract.ts';
export { createMemoryData, type MemoryData, memoryStorage } from './storage/memory.ts';
