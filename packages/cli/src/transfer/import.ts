import type { Fenced, RunSnapshot, Storage } from '@td7x/durable-x';
import type { ExportedRun } from './format.ts';

/**
 * Importing a run uses only the storage contract, as any application process would write it:
 * `claim` creates it (at its original creation time), `putStep`, `putSignal` and `putCleanup` fill
 * it with its records byte for byte, and one last write gives it its final status and time
 * (`finish`, `suspend`, or `setLease` for a run that was running). The run is held by the import's
 * own owner token throughout, so no application process can load it half-imported while the lease
 * lasts; see the README (Export and import) for what is and is not carried exactly.
 */

export type ImportOutcome =
  | { readonly runId: string; readonly kind: 'imported'; readonly differences: readonly string[] }
  | { readonly runId: string; readonly kind: 'exists' }
  | { readonly runId: string; readonly kind: 'too-large'; readonly what: string; readonly bytes: number }
  | { readonly runId: string; readonly kind: 'interrupted'; readonly reason: string };

/** How long the import holds a run it is writing, past the present. */
export const IMPORT_LEASE_MS = 10 * 60_000;

export const IMPORT_OWNER_PREFIX = 'durable-x-import';

const utf8 = new TextEncoder();

/** The first value over the target's limit, checked before anything is written. */
const tooLarge = (run: ExportedRun, maxBytes: number | undefined) => {
  if (maxBytes === undefined) return undefined;
  const values: [string, string][] = [
    ...run.steps.map((s): [string, string] => [`step ${s.name}`, s.output]),
    ...run.cleanups.map((c): [string, string] => [`cleanup ${c.name}`, c.params]),
    ...(run.run.error === null ? [] : [['error', run.run.error] as [string, string]]),
  ];
  for (const [what, value] of values) {
    if (value.length * 3 <= maxBytes) continue;
    const bytes = utf8.encode(value).length;
    if (bytes > maxBytes) return { what, bytes };
  }
  return undefined;
};

class Interrupted extends Error {}

const expectOk = (op: string, answer: Fenced): void => {
  if (answer !== 'ok') throw new Interrupted(`${op} answered ${answer}: another process took the run over`);
};

/** Imports one run into `storage`; an existing run of that id is left alone (`exists`). */
export const importRun = async (
  storage: Storage,
  exported: ExportedRun,
  options: { readonly now?: number } = {},
): Promise<ImportOutcome> => {
  const { run, steps, cleanups } = exported;
  const runId = run.runId;
  const large = tooLarge(exported, storage.maxValueBytes);
  if (large) return { runId, kind: 'too-large', ...large };
  if ((await storage.read(runId)) !== undefined) return { runId, kind: 'exists' };

  const now = options.now ?? Date.now();
  // Created at its original time, held until well past the present.
  const at = run.createdAt;
  const leaseMs = Math.max(0, now - at) + IMPORT_LEASE_MS;
  let owner = `${IMPORT_OWNER_PREFIX}:${crypto.randomUUID()}`;
  const created = await storage.claim({ runId, owner, now: at, leaseMs });
  if (created.kind !== 'claimed' || created.previousStatus !== null) {
    // Created by someone else between the read and the claim.
    return { runId, kind: 'exists' };
  }
  try {
    // The attempt count is how many times the run was claimed: claim it that many times.
    for (let attempt = 2; attempt <= run.attempt; attempt++) {
      expectOk('setLease', await storage.setLease({ runId, owner, leaseExpiresAt: 0, now: at }));
      owner = `${IMPORT_OWNER_PREFIX}:${crypto.randomUUID()}`;
      const again = await storage.claim({ runId, owner, now: at, leaseMs });
      if (again.kind !== 'claimed') throw new Interrupted(`claim answered ${again.kind}`);
    }
    for (const record of steps) {
      if (record.seq === 0) {
        // A signal (or a wait's timeout): not fenced, and kept by every rollback.
        const sent = await storage.putSignal({ runId, record, now: at });
        if (sent.kind === 'not-found' || sent.kind === 'full')
          throw new Interrupted(`putSignal answered ${sent.kind}`);
      } else {
        const put = await storage.putStep({ runId, owner, record });
        if (put.kind === 'lease-lost' || put.kind === 'cancelled')
          throw new Interrupted(`putStep answered ${put.kind}`);
      }
    }
    for (const record of cleanups) expectOk('putCleanup', await storage.putCleanup({ runId, owner, record }));
    await settle(storage, exported, owner);
  } catch (error) {
    if (error instanceof Interrupted) return { runId, kind: 'interrupted', reason: error.message };
    throw error;
  }
  const stored = await storage.read(runId);
  return {
    runId,
    kind: 'imported',
    differences: stored ? differences(exported, stored) : ['the run is gone'],
  };
};

/** The last write: the run's final status, error and time, or its lease for a run that was running. */
const settle = async (storage: Storage, exported: ExportedRun, owner: string): Promise<void> => {
  const { run } = exported;
  const runId = run.runId;
  switch (run.status) {
    case 'running':
      return expectOk(
        'setLease',
        await storage.setLease({ runId, owner, leaseExpiresAt: run.leaseExpiresAt, now: run.updatedAt }),
      );
    case 'suspended': {
      const parked = await storage.suspend({ runId, owner, at: run.updatedAt, wakeAt: run.leaseExpiresAt });
      if (parked.kind !== 'suspended') throw new Interrupted(`suspend answered ${parked.kind}`);
      return;
    }
    default:
      return expectOk(
        'finish',
        await storage.finish({
          runId,
          owner,
          status: run.status,
          at: run.updatedAt,
          error: run.error,
          dropCleanups: false,
        }),
      );
  }
};

/** What the target holds that differs from the export (the owner of a running run always does). */
export const differences = (exported: ExportedRun, stored: RunSnapshot): string[] => {
  const found: string[] = [];
  const a = exported.run;
  const b = stored.run;
  for (const field of ['status', 'attempt', 'createdAt', 'updatedAt', 'leaseExpiresAt', 'error'] as const) {
    if (a[field] !== b[field])
      found.push(`${field}: ${JSON.stringify(a[field])} → ${JSON.stringify(b[field])}`);
  }
  if ((a.owner === null) !== (b.owner === null))
    found.push(`owner: ${JSON.stringify(a.owner)} → ${JSON.stringify(b.owner)}`);
  const steps = new Map(stored.steps.map((s) => [s.key, s]));
  for (const s of exported.steps) {
    const t = steps.get(s.key);
    if (!t) found.push(`step ${s.key}: missing`);
    else if (t.output !== s.output || t.seq !== s.seq || t.at !== s.at || t.name !== s.name)
      found.push(`step ${s.key}: differs`);
  }
  if (stored.steps.length !== exported.steps.length)
    found.push(`steps: ${exported.steps.length} → ${stored.steps.length}`);
  const cleanups = new Map(stored.cleanups.map((c) => [c.id, c]));
  for (const c of exported.cleanups) {
    const t = cleanups.get(c.id);
    if (!t) found.push(`cleanup ${c.id}: missing`);
    else if (t.params !== c.params || t.seq !== c.seq || t.at !== c.at || t.name !== c.name)
      found.push(`cleanup ${c.id}: differs`);
  }
  if (stored.cleanups.length !== exported.cleanups.length)
    found.push(`cleanups: ${exported.cleanups.length} → ${stored.cleanups.length}`);
  return found;
};
