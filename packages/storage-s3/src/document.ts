import type { RunHead, RunStatus } from '@td7x/durable-x';

/**
 * The run document: ONE object per run holding its head, lease, steps and pending cleanups.
 * Every mutation is a conditional PUT of the whole document (`If-Match` its ETag), so the owner
 * check and the change are one atomic request, exactly like one SQL statement or one Lua script.
 * A value too large to rewrite on every write is kept out of line (`blob`) in its own object.
 */
export const FORMAT = 'durable-x/s3@1';

/** A value stored inline (`text`) or out of line in the object `values/<run>/<incarnation>/<blob>`. */
export type StoredValue = { readonly text: string } | { readonly blob: string; readonly bytes: number };

export interface StoredStep {
  readonly key: string;
  readonly name: string;
  readonly seq: number;
  readonly at: number;
  readonly output: StoredValue;
  /**
   * Random per `putStep` / `putSignal` call: when the answer to the PUT that stored the record
   * was lost and another writer changed the document before it was read again, the call still
   * recognises the record as the one it wrote (`written`), not as someone else's.
   */
  readonly w?: string;
}

export interface StoredCleanup {
  readonly id: number;
  readonly name: string;
  readonly seq: number;
  readonly at: number;
  readonly params: StoredValue;
}

export interface RunDocument {
  readonly format: typeof FORMAT;
  /** The exact run id (the key may be a hash of it). */
  readonly runId: string;
  /** Random per creation: names the folder of out-of-line values, so a purge never touches a re-created run's. */
  readonly incarnation: string;
  readonly status: RunStatus;
  readonly owner: string | null;
  /**
   * The status the current owner's claim found (null when it created the run): what a claim
   * resent by that owner answers again. Kept with the owner, cleared with it.
   */
  readonly claimedFrom: RunStatus | null;
  readonly leaseExpiresAt: number;
  readonly attempt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly error: string | null;
  readonly steps: readonly StoredStep[];
  readonly cleanups: readonly StoredCleanup[];
  /**
   * Random per write. A PUT whose answer was lost (a timeout, then the SDK's retry answered 412
   * because the first attempt had landed) is recognised as ours on the next read, not re-applied.
   */
  readonly revision?: string;
}

/**
 * What a purge leaves at the run's key for the moment between deciding to delete the run and
 * deleting it: S3 servers such as RGW ignore `If-Match` on DELETE, so the purge first replaces the
 * document it checked by this tombstone (a conditional PUT, refused if the run changed), and only
 * then deletes it. Every operation reads a tombstone as an absent run, and nothing writes over it
 * (a claim waits until it is gone), so the unconditional DELETE can only remove the tombstone.
 */
export interface Tombstone {
  readonly format: typeof FORMAT;
  readonly runId: string;
  /** The purged incarnation: its values folder is deleted after the tombstone. */
  readonly incarnation: string;
  readonly purged: true;
  readonly revision: string;
}

export const encodeDocument = (doc: RunDocument | Tombstone): string => JSON.stringify(doc);

export const isTombstone = (doc: RunDocument | Tombstone): doc is Tombstone => 'purged' in doc;

/** Parses a run document; anything else under our prefix is a corrupted namespace, not a run. */
export const decodeDocument = (text: string, key: string): RunDocument | Tombstone => {
  const doc = JSON.parse(text) as RunDocument | Tombstone;
  if (doc === null || typeof doc !== 'object' || doc.format !== FORMAT) {
    throw new Error(`durable-x s3: ${key} is not a durable-x run document (format ${String(doc?.format)})`);
  }
  return doc;
};

export const headOf = (doc: RunDocument): RunHead => ({
  runId: doc.runId,
  status: doc.status,
  owner: doc.owner,
  leaseExpiresAt: doc.leaseExpiresAt,
  attempt: doc.attempt,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
  error: doc.error,
});

export const blobOf = (value: StoredValue): string | undefined => ('blob' in value ? value.blob : undefined);

/** Whether the document references the out-of-line value `blob` (then nothing may delete it). */
export const references = (doc: RunDocument | undefined, blob: string): boolean =>
  doc !== undefined && blobsOf(doc.steps, doc.cleanups).includes(blob);

/** Out-of-line values the document references: what a purge or rollback must delete with it. */
export const blobsOf = (steps: readonly StoredStep[], cleanups: readonly StoredCleanup[]): string[] => [
  ...steps.flatMap((s) => blobOf(s.output) ?? []),
  ...cleanups.flatMap((c) => blobOf(c.params) ?? []),
];

/** Characters of the inline values of steps and cleanups (signals, `seq` 0, have limits of their own). */
export const inlineBytes = (doc: RunDocument): number => {
  let total = 0;
  for (const s of doc.steps) if (s.seq !== 0 && 'text' in s.output) total += s.output.text.length;
  for (const c of doc.cleanups) if ('text' in c.params) total += c.params.text.length;
  return total;
};
