import { type MemoryData, memoryStorage, type RunSnapshot, type Storage } from '@td7x/durable-x';

/** One run as the memory storage keeps it (its type is not exported, only the map's). */
export type MemoryRun = MemoryData extends Map<string, infer Run> ? Run : never;

/**
 * A storage that breaks exactly one guarantee of the contract (`contract.ts` in
 * `@td7x/durable-x`): the memory storage, with the methods that `change` returns in place of its
 * own. `rule` quotes the sentence it breaks; `kind` says which family of rules it belongs to.
 */
export interface Mutant {
  readonly name: string;
  readonly kind: 'contract' | 'v1' | 'resend' | 'names';
  readonly rule: string;
  readonly storage: (data: MemoryData) => Storage;
}

export const mutant = (
  name: string,
  kind: Mutant['kind'],
  rule: string,
  change: (inner: Storage, runs: MemoryData) => Partial<Storage>,
): Mutant => ({
  name,
  kind,
  rule,
  storage: (data) => {
    const inner = memoryStorage({ data });
    return { ...inner, ...change(inner, data) };
  },
});

/** What the memory storage's `read` would answer for `run`, taken straight from its data. */
export const snapshotOf = (run: MemoryRun): RunSnapshot => ({
  run: { ...run.head },
  steps: [...run.steps.values()].map((s) => ({ ...s })),
  cleanups: [...run.cleanups.values()].map((c) => ({ ...c })),
});

/** Creates `runId` held by `owner`, as if it had been claimed: what a write "creating" it does. */
export const adopt = (runs: MemoryData, runId: string, owner: string, at: number): void => {
  if (runs.has(runId)) return;
  runs.set(runId, {
    head: {
      runId,
      status: 'running',
      owner,
      leaseExpiresAt: at + 30_000,
      attempt: 1,
      createdAt: at,
      updatedAt: at,
      error: null,
    },
    claimedFrom: null,
    steps: new Map(),
    cleanups: new Map(),
  });
};

/** Changes one run's head in place. */
export const patchHead = (runs: MemoryData, runId: string, patch: Partial<MemoryRun['head']>): void => {
  const run = runs.get(runId);
  if (run) run.head = { ...run.head, ...patch };
};
