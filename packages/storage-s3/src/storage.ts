import type { S3Client } from '@aws-sdk/client-s3';
import type {
  CleanupRecord,
  ListQuery,
  PurgeQuery,
  RunHead,
  RunSnapshot,
  StepRecord,
  Storage,
} from '@td7x/durable-x';
import * as change from './changes.ts';
import {
  decodeDocument,
  encodeDocument,
  FORMAT,
  headOf,
  inlineBytes,
  isTombstone,
  type RunDocument,
  references,
  type StoredStep,
  type StoredValue,
  type Tombstone,
} from './document.ts';
import { runDocuments } from './documents.ts';
import { isRunKey, layoutOf, runKeyOf, utf8Bytes } from './keys.ts';
import { s3Objects } from './objects.ts';
import { parallel } from './parallel.ts';

export interface S3StorageOptions {
  /** Your client (region, credentials, endpoint…). RGW and MinIO need `forcePathStyle: true`. */
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * The folder of this app's keys: `''` or folders each ending in `/` (`[A-Za-z0-9._-]`, none
   * named `runs`, `values` or `probe`), so that two prefixes never overlap. At most 256 bytes.
   * Default ''.
   */
  readonly prefix?: string;
  /** A value (step output, cleanup params) up to this many bytes is stored inside the run document. Default 8 KiB. */
  readonly inlineValueBytes?: number;
  /**
   * Inline values of one run stop at about this many characters in total; later values go to
   * their own objects, so rewriting the document on each write stays cheap. Default 256 KiB.
   */
  readonly documentBudget?: number;
  /** Largest value accepted (the core refuses larger ones with a typed error). Default 5 GiB, S3's single-PUT limit. */
  readonly maxValueBytes?: number;
  /** Run documents (and ETags) kept per adapter instance to skip a GET before a write. Default 1000. */
  readonly cachedRuns?: number;
  /** Concurrent requests when a load, read, list or purge touches many objects. Default 16. */
  readonly concurrency?: number;
  /**
   * What signals may add to one run, declared to the core (which applies the lower of these and
   * its own): every signal stays in the run document, which every write of the run re-sends and
   * every load reads. Default {@link S3_SIGNAL_LIMITS} (README "Limits").
   */
  readonly signalLimits?: { readonly perRun?: number; readonly bytes?: number };
}

/**
 * What this adapter declares by default: signals of at most 2 KiB encoded, under
 * `inlineValueBytes`, so that a signal never costs a load a GET of its own (the core's 64 KiB
 * would put each in an object of its own). With the core's 256 signals per run, at most about
 * 0.5 MiB of signals in a run document (README "Limits"; `test/signal-cost.measure.ts`).
 */
export const S3_SIGNAL_LIMITS = { bytes: 2 * 1024 } as const;

/** Uploads of a large signal before giving up on a run purged and created again each time. */
const MAX_SIGNAL_ROUNDS = 8;

/** S3's limit for one PUT; a value above it would need a multipart upload. */
export const S3_MAX_VALUE_BYTES = 5 * 1024 ** 3;

/** A whole-number option, at least `min`; the default when absent. Refused at construction, before any I/O. */
const whole = (name: string, value: number | undefined, fallback: number, min: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(
      `durable-x s3: ${name} must be a whole number of at least ${min}, not ${String(value)}`,
    );
  }
  return value;
};

/**
 * Durable-x checkpoints in S3 (or any S3 server that honours `If-Match` / `If-None-Match` on PUT).
 * One run = one JSON document, rewritten by conditional PUT; large values live beside it.
 * No request is made until a method is called.
 */
export const s3Storage = (options: S3StorageOptions): Storage => {
  const layout = layoutOf(options.prefix ?? '');
  const objects = s3Objects(options.client, options.bucket);
  const documents = runDocuments(objects, layout, whole('cachedRuns', options.cachedRuns, 1000, 0));
  const inlineLimit = whole('inlineValueBytes', options.inlineValueBytes, 8 * 1024, 0);
  const budget = whole('documentBudget', options.documentBudget, 256 * 1024, 1);
  const concurrency = whole('concurrency', options.concurrency, 16, 1);
  const maxValueBytes = whole('maxValueBytes', options.maxValueBytes, S3_MAX_VALUE_BYTES, 1);

  const valueKey = (runKey: string, doc: RunDocument, blob: string) =>
    layout.value(runKey, doc.incarnation, blob);

  const loadValue = async (runKey: string, doc: RunDocument, value: StoredValue): Promise<string> => {
    if ('text' in value) return value.text;
    const key = valueKey(runKey, doc, value.blob);
    const found = await objects.get(key);
    if (!found) throw new Error(`durable-x s3: value ${key} of run ${JSON.stringify(doc.runId)} is missing`);
    return JSON.parse(found.text) as string;
  };

  /** A step (or signal) of the document as the contract returns it, its value loaded. */
  const stepOf = async (runKey: string, doc: RunDocument, s: StoredStep): Promise<StepRecord> => ({
    key: s.key,
    name: s.name,
    seq: s.seq,
    at: s.at,
    output: await loadValue(runKey, doc, s.output),
  });

  const snapshotOf = async (runKey: string, doc: RunDocument): Promise<RunSnapshot> => {
    const steps = await parallel(doc.steps, concurrency, (s) => stepOf(runKey, doc, s));
    const cleanups = await parallel(
      doc.cleanups,
      concurrency,
      async (c): Promise<CleanupRecord> => ({
        id: c.id,
        name: c.name,
        seq: c.seq,
        at: c.at,
        params: await loadValue(runKey, doc, c.params),
      }),
    );
    return { run: headOf(doc), steps, cleanups };
  };

  /**
   * Values no longer referenced by a committed document: best effort, an orphan is only garbage.
   * A value the document still references is never deleted, whatever the change decided: blob
   * names are random per upload, so a document that no longer references one never will again.
   */
  const collect = async (runKey: string, doc: RunDocument | undefined, garbage: readonly string[]) => {
    const unreferenced = doc ? garbage.filter((b) => !references(doc, b)) : [];
    if (!doc || unreferenced.length === 0) return;
    await objects.deleteMany(unreferenced.map((b) => valueKey(runKey, doc, b))).catch(() => undefined);
  };

  /**
   * Stores a value inline, or uploads it to its own object first and returns the reference the
   * document will hold. The upload is only made for the current owner (`owner`), or for anyone
   * while the run exists (`owner` undefined: a signal), checked on the cached or a fresh document.
   */
  const storeValue = async (
    runId: string,
    runKey: string,
    owner: string | undefined,
    text: string,
  ): Promise<{ value: StoredValue; incarnation?: string } | 'refused'> => {
    const bytes = utf8Bytes(text);
    if (bytes <= inlineLimit) {
      // Signals are bounded by `signalLimits`, not by the budget: out of line, each would cost
      // every load a GET (README "Limits").
      if (owner === undefined) return { value: { text } };
      const cached = documents.cached(runId);
      if (!cached || inlineBytes(cached) + text.length <= budget) return { value: { text } };
    }
    const admits = (doc: RunDocument | undefined): doc is RunDocument =>
      doc !== undefined && (owner === undefined || doc.owner === owner);
    let doc = await documents.current(runId, runKey);
    if (!admits(doc)) doc = await documents.current(runId, runKey, true);
    if (!admits(doc)) return 'refused';
    const blob = crypto.randomUUID();
    await objects.putNew(valueKey(runKey, doc, blob), JSON.stringify(text));
    return { value: { blob, bytes }, incarnation: doc.incarnation };
  };

  /**
   * A value uploaded for a write whose decision did not store it (lost race, lost lease, cancelled
   * run). `doc` is the document that decision was made on: if it references the value anyway, the
   * write did land (its answer was lost and another writer changed the document before it was
   * read again) and the value is kept.
   */
  const discard = async (
    runKey: string,
    stored: { value: StoredValue; incarnation?: string },
    doc: RunDocument | undefined,
  ) => {
    if (!('blob' in stored.value) || !stored.incarnation || references(doc, stored.value.blob)) return;
    const key = layout.value(runKey, stored.incarnation, stored.value.blob);
    await objects.delete(key).catch(() => undefined);
  };

  /** The values of an incarnation that no document references any more (a purged run). */
  const deleteValues = async (runKey: string, incarnation: string) => {
    const values = await objects.list(layout.values(runKey, incarnation));
    await objects.deleteMany(values.map((v) => v.key));
  };

  /**
   * Every run document under the prefix, read in parallel (housekeeping only). Keys that cannot be
   * a run key are not ours and are skipped. Tombstones (runs a purge is deleting, or was when its
   * purger died) come apart from the runs.
   */
  const scan = async () => {
    const listed = (await objects.list(layout.runs)).filter(({ key }) =>
      isRunKey(key.slice(layout.runs.length)),
    );
    const read = await parallel(listed, concurrency, async ({ key }) => {
      const found = await objects.get(key);
      return found && { key, stored: decodeDocument(found.text, key), etag: found.etag };
    });
    const runs: { key: string; doc: RunDocument; etag: string }[] = [];
    const tombstones: { key: string; stone: Tombstone }[] = [];
    for (const r of read) {
      if (!r) continue; // purged meanwhile
      if (isTombstone(r.stored)) tombstones.push({ key: r.key, stone: r.stored });
      else runs.push({ key: r.key, doc: r.stored, etag: r.etag });
    }
    return { runs, tombstones };
  };

  /**
   * Deletes one run if its document is still the one read (ETag `etag`). RGW ignores If-Match on
   * DELETE, so the document is first replaced by a tombstone with a conditional PUT — refused if
   * the run changed since — and only then are its values and the tombstone deleted (README
   * "Guarantees", purge). Resolves whether the run was deleted.
   */
  const purgeOne = async (key: string, doc: RunDocument, etag: string): Promise<boolean> => {
    const stone: Tombstone = {
      format: FORMAT,
      runId: doc.runId,
      incarnation: doc.incarnation,
      purged: true,
      revision: crypto.randomUUID(),
    };
    if ((await objects.put(key, encodeDocument(stone), etag)) === 'precondition-failed') {
      // Changed meanwhile, or our PUT landed and only its answer was lost.
      const again = await objects.get(key);
      const current = again && decodeDocument(again.text, key);
      if (!current || !isTombstone(current) || current.revision !== stone.revision) return false;
    }
    documents.forget(doc.runId);
    // Values first, then the tombstone: a crash in between leaves the tombstone to say what is left.
    await deleteValues(key.slice(layout.runs.length), doc.incarnation);
    await objects.delete(key);
    return true;
  };

  const perRun = options.signalLimits?.perRun;
  for (const [name, limit] of Object.entries(options.signalLimits ?? {})) {
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) {
      throw new TypeError(
        `durable-x s3: signalLimits.${name} must be a positive integer, not ${String(limit)}`,
      );
    }
  }
  const signalLimits = {
    ...(perRun === undefined ? {} : { perRun }),
    bytes: options.signalLimits?.bytes ?? S3_SIGNAL_LIMITS.bytes,
  };
  const holder = { priority: 'holder' } as const;
  const outsider = { priority: 'outsider' } as const;

  return {
    name: 's3',
    maxValueBytes,
    signalLimits,

    async claim(request) {
      const runKey = await runKeyOf(request.runId);
      const { outcome, doc, replaced } = await documents.mutate(
        request.runId,
        runKey,
        change.claim(request, crypto.randomUUID().replaceAll('-', '')),
        { priority: 'holder', now: request.now },
      );
      if (replaced) await deleteValues(runKey, replaced.incarnation).catch(() => undefined);
      if (outcome.kind === 'not-found') return outcome;
      const current = doc as RunDocument;
      if (outcome.kind === 'busy') return { kind: 'busy', run: headOf(current) };
      const snapshot = await snapshotOf(runKey, current);
      if (outcome.kind === 'completed') return { kind: 'completed', snapshot };
      documents.claimed(request.runId, request.owner);
      return { kind: 'claimed', snapshot, previousStatus: outcome.previousStatus };
    },

    async putStep({ runId, owner, record }) {
      const runKey = await runKeyOf(runId);
      const stored = await storeValue(runId, runKey, owner, record.output);
      if (stored === 'refused') return { kind: 'lease-lost' };
      const { outcome, doc } = await documents.mutate(
        runId,
        runKey,
        change.putStep(owner, storedStep(record, stored.value, writeId()), stored.incarnation),
        holder,
      );
      if (outcome.kind !== 'written') await discard(runKey, stored, doc);
      if (outcome.kind !== 'exists') return outcome;
      return { kind: 'exists', record: await stepOf(runKey, doc as RunDocument, outcome.step) };
    },

    async putCleanup({ runId, owner, record }) {
      const runKey = await runKeyOf(runId);
      const stored = await storeValue(runId, runKey, owner, record.params);
      if (stored === 'refused') return 'lease-lost';
      const cleanup = {
        id: record.id,
        name: record.name,
        seq: record.seq,
        at: record.at,
        params: stored.value,
      };
      const { outcome, doc, garbage } = await documents.mutate(
        runId,
        runKey,
        change.putCleanup(owner, cleanup, stored.incarnation),
        holder,
      );
      if (outcome !== 'ok') await discard(runKey, stored, doc);
      await collect(runKey, doc, garbage);
      return outcome;
    },

    async removeCleanup({ runId, owner, id, record }) {
      const runKey = await runKeyOf(runId);
      const stored = record ? await storeValue(runId, runKey, owner, record.output) : undefined;
      if (stored === 'refused') return 'lease-lost';
      const step = record && stored ? storedStep(record, stored.value, writeId()) : undefined;
      const { outcome, doc, garbage } = await documents.mutate(
        runId,
        runKey,
        change.removeCleanup(owner, id, step, stored?.incarnation),
        holder,
      );
      if (stored && (outcome !== 'ok' || !doc?.steps.some((s) => s.w === step?.w)))
        await discard(runKey, stored, doc);
      await collect(runKey, doc, garbage);
      return outcome;
    },

    async rollback({ runId, owner, cleanupId, afterSeq }) {
      const runKey = await runKeyOf(runId);
      const { outcome, doc, garbage } = await documents.mutate(
        runId,
        runKey,
        change.rollback(owner, cleanupId, afterSeq),
        holder,
      );
      await collect(runKey, doc, garbage);
      return outcome;
    },

    async setLease({ runId, owner, leaseExpiresAt, now }) {
      const runKey = await runKeyOf(runId);
      const committed = await documents.mutate(
        runId,
        runKey,
        change.setLease(owner, leaseExpiresAt, now),
        holder,
      );
      return committed.outcome;
    },

    async finish(request) {
      const runKey = await runKeyOf(request.runId);
      const { outcome, doc, garbage } = await documents.mutate(
        request.runId,
        runKey,
        change.finish(request),
        holder,
      );
      await collect(runKey, doc, garbage);
      return outcome;
    },

    async suspend(request) {
      const runKey = await runKeyOf(request.runId);
      return (await documents.mutate(request.runId, runKey, change.suspend(request), holder)).outcome;
    },

    async putSignal({ runId, record, now, maxSignals }) {
      const runKey = await runKeyOf(runId);
      const w = writeId();
      // Another round only if the run was purged and created again during an out-of-line upload.
      for (let round = 0; round < MAX_SIGNAL_ROUNDS; round++) {
        const stored = await storeValue(runId, runKey, undefined, record.output);
        if (stored === 'refused') return { kind: 'not-found' };
        const { outcome, doc } = await documents.mutate(
          runId,
          runKey,
          change.putSignal(storedStep(record, stored.value, w), now, maxSignals, stored.incarnation),
          outsider,
        );
        if (outcome.kind !== 'written') await discard(runKey, stored, doc);
        if (outcome.kind === 'other-incarnation') continue;
        if (outcome.kind !== 'exists') return outcome;
        const step = await stepOf(runKey, doc as RunDocument, outcome.step);
        return { kind: 'exists', record: step, status: outcome.status };
      }
      throw new Error(`durable-x s3: run ${JSON.stringify(runId)} was re-created under every signal upload`);
    },

    async cancel(request) {
      const runKey = await runKeyOf(request.runId);
      return (await documents.mutate(request.runId, runKey, change.cancel(request), outsider)).outcome;
    },

    async read(runId) {
      const runKey = await runKeyOf(runId);
      const doc = await documents.read(runId, runKey);
      return doc && snapshotOf(runKey, doc);
    },

    async list(query: ListQuery): Promise<readonly RunHead[]> {
      return (await scan()).runs
        .map((r) => headOf(r.doc))
        .filter((head) => matches(head, query))
        .sort(byAge)
        .slice(0, query.limit);
    },

    async purge({ statuses, updatedBefore, limit }: PurgeQuery): Promise<number> {
      const { runs, tombstones } = await scan();
      // What a purger that died after its tombstone left: values no document can reference again
      // (a run created anew gets another incarnation). The tombstone itself stays until a claim
      // replaces it: deleting it here could race that purger's own DELETE (see `purgeOne`).
      await parallel(tombstones, concurrency, ({ key, stone }) =>
        deleteValues(key.slice(layout.runs.length), stone.incarnation),
      );
      const doomed = runs
        .filter(({ doc }) => statuses.includes(doc.status) && doc.updatedAt < updatedBefore)
        .sort((a, b) => byAge(headOf(a.doc), headOf(b.doc)))
        .slice(0, limit);
      const deleted = await parallel(doomed, concurrency, ({ key, doc, etag }) => purgeOne(key, doc, etag));
      return deleted.filter(Boolean).length;
    },
  };
};

const byAge = (a: RunHead, b: RunHead): number =>
  a.updatedAt - b.updatedAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);

const matches = (head: RunHead, query: ListQuery): boolean =>
  (query.statuses === undefined || query.statuses.includes(head.status)) &&
  (query.updatedBefore === undefined || head.updatedAt < query.updatedBefore) &&
  (query.leaseExpiredAt === undefined || head.leaseExpiresAt <= query.leaseExpiredAt) &&
  (query.after === undefined || byAge(head, { ...head, ...query.after }) > 0);

/** A record as the document stores it: its value inline or in an object of its own, and the id of the call that wrote it. */
const storedStep = (record: StepRecord, value: StoredValue, w: string): StoredStep => ({
  key: record.key,
  name: record.name,
  seq: record.seq,
  at: record.at,
  output: value,
  w,
});

/** 96 random bits, base64url: tells one call's record from another's (see `StoredStep.w`). */
const writeId = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_');
};
