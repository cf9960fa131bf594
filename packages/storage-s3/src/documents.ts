import { decodeDocument, encodeDocument, isTombstone, type RunDocument, type Tombstone } from './document.ts';
import type { Layout } from './keys.ts';
import type { Objects } from './objects.ts';
import { backoffMs, PACES, type Priority, pause } from './pacing.ts';

/**
 * What a change decides on the current document: its outcome, and the next document when it
 * writes. Values of blobs it stops referencing go in `garbage`, deleted once the write commits.
 */
export interface Decision<T> {
  readonly outcome: T;
  readonly next?: RunDocument;
  readonly garbage?: readonly string[];
}

/** A pure function of the current document (undefined: the run does not exist). */
export type Change<T> = (doc: RunDocument | undefined) => Decision<T>;

export interface Committed<T> {
  readonly outcome: T;
  /** The document as committed (or as read, for a change that wrote nothing). */
  readonly doc: RunDocument | undefined;
  readonly garbage: readonly string[];
  /** A purge's tombstone this write replaced (its purger died): its values are garbage too. */
  readonly replaced?: Tombstone | undefined;
}

export interface MutateOptions {
  readonly priority: Priority;
  /**
   * The request's time, for a claim: a tombstone whose purge has not finished within
   * {@link TOMBSTONE_GRACE_MS} of it (by the server's clock) was left by a purger that died, and
   * may be replaced by the run the claim creates. Without it, a write waits for the purge to end.
   */
  readonly now?: number;
}

interface Known {
  readonly doc: RunDocument | undefined;
  /** undefined while the run does not exist. */
  readonly etag: string | undefined;
  /** The key holds a purge's tombstone (then `doc` is undefined), with the server's time of it. */
  readonly tombstone?: { readonly stone: Tombstone; readonly at: number } | undefined;
}

interface Job {
  readonly change: Change<unknown>;
  readonly options: MutateOptions;
  readonly resolve: (committed: Committed<unknown>) => void;
  readonly reject: (error: unknown) => void;
}

interface Cell {
  readonly key: string;
  /** Last document this instance read or wrote, with its ETag; undefined when not cached. */
  known?: Known | undefined;
  /** The owner token of the last claim made through this instance: while it holds the run, every write here is the holder's. */
  claimedAs?: string | undefined;
  readonly queue: Job[];
  draining: boolean;
}

/**
 * How long a purge may take between its tombstone and the DELETE that ends it. A tombstone older
 * than this (the server's LastModified against the claim's `now`) is taken to be a dead purger's,
 * and a claim replaces it. Far above a purge's few requests, and above any clock skew.
 */
export const TOMBSTONE_GRACE_MS = 5 * 60_000;

/**
 * The run documents of one adapter instance, with their last known ETag.
 *
 * Correctness never depends on the cache: every write is a PUT conditional on the ETag the
 * decision was made on (If-Match, or If-None-Match: * for a new run), and a decision that writes
 * nothing is only returned when made on a document read in the same round. A stale cache costs
 * one 412 and one GET, nothing else.
 *
 * Changes to one run made concurrently in this instance (steps under `Promise.all`, a lease
 * renewal during a step) queue up, and everything queued while a PUT is in flight goes out in
 * the next single PUT: concurrent steps share requests instead of fighting over the ETag.
 * Writers in other instances are met through 412s, paced by `pacing.ts`.
 */
export const runDocuments = (objects: Objects, layout: Layout, cacheSize: number) => {
  const cells = new Map<string, Cell>();

  const cellOf = (runId: string, runKey: string): Cell => {
    let cell = cells.get(runId);
    if (cell) {
      cells.delete(runId);
    } else {
      cell = { key: layout.runDocument(runKey), queue: [], draining: false };
    }
    cells.set(runId, cell); // most recently used last
    return cell;
  };

  const evict = () => {
    if (cells.size <= cacheSize) return;
    for (const [runId, cell] of cells) {
      if (cells.size <= cacheSize) break;
      if (!cell.draining && cell.queue.length === 0) cells.delete(runId);
    }
  };

  const fetch = async (runId: string, key: string): Promise<Known> => {
    const found = await objects.get(key);
    if (!found) return { doc: undefined, etag: undefined };
    const stored = checked(decodeDocument(found.text, key), runId, key);
    if (isTombstone(stored)) {
      return { doc: undefined, etag: found.etag, tombstone: { stone: stored, at: found.lastModified } };
    }
    return { doc: stored, etag: found.etag };
  };

  /**
   * Only owned runs stay cached (running, or cancelled and claimed to run its cleanups): the owner
   * writes them again soon. A run without owner is written at most by a claim, a signal or a
   * cancel from anywhere, and memory stays bounded.
   */
  const remember = (cell: Cell, known: Known) => {
    cell.known = known.doc && known.doc.owner !== null ? known : undefined;
  };

  /** Whether the batch's writes are the holder's: any claim or fenced write, or any write while this instance holds the run. */
  const priorityOf = (cell: Cell, batch: readonly Job[]): Priority => {
    const holds = cell.claimedAs !== undefined && cell.known?.doc?.owner === cell.claimedAs;
    return holds || batch.some((job) => job.options.priority === 'holder') ? 'holder' : 'outsider';
  };

  /** A tombstone may only be written over once its purger is taken to be dead (see TOMBSTONE_GRACE_MS). */
  const replaceable = (known: Known, batch: readonly Job[]): boolean => {
    if (!known.tombstone) return true;
    const { at } = known.tombstone;
    return (
      at > 0 &&
      batch.some((job) => job.options.now !== undefined && job.options.now - at >= TOMBSTONE_GRACE_MS)
    );
  };

  const commit = async (runId: string, cell: Cell, batch: readonly Job[]): Promise<Committed<unknown>[]> => {
    const priority = priorityOf(cell, batch);
    let base = cell.known;
    let fresh = false;
    let lost = 0;
    let waited = 0;
    // What earlier rounds meant to drop: a PUT answered 412 may have landed (its answer was lost)
    // before another writer moved on, and then the decision made again has nothing left to drop.
    // Deleting them is safe: the caller keeps only those the final document does not reference.
    const dropped = batch.map(() => new Set<string>());
    while (lost <= PACES[priority].rounds) {
      if (!base) {
        base = await fetch(runId, cell.key);
        fresh = true;
      }
      let doc = base.doc;
      let wrote = false;
      const decided = batch.map((job) => {
        const decision = job.change(doc);
        if (decision.next) {
          doc = decision.next;
          wrote = true;
        }
        return decision;
      });
      const replaced = wrote ? base.tombstone?.stone : undefined;
      const results = (committed: RunDocument | undefined) =>
        decided.map((d, i) => ({
          outcome: d.outcome,
          doc: committed,
          garbage: [...(dropped[i] ?? []), ...(d.next ? (d.garbage ?? []) : [])],
          replaced,
        }));
      if (!wrote) {
        if (fresh) {
          remember(cell, base);
          return results(doc);
        }
        base = undefined; // decided on a cached copy: confirm on a fresh read
        continue;
      }
      if (!replaceable(base, batch)) {
        // A purge is deleting the run: the claim that would create it again waits for the end.
        if (++waited > PACES.purging.rounds) {
          throw new Error(
            `durable-x s3: ${cell.key} is being purged (or its purger died: README "Guarantees", purge)`,
          );
        }
        await pause(backoffMs('purging', waited));
        base = undefined;
        continue;
      }
      const next: RunDocument = { ...(doc as RunDocument), revision: crypto.randomUUID() };
      const etag = await objects.put(cell.key, encodeDocument(next), base.etag ?? 'absent');
      if (etag !== 'precondition-failed') {
        if (etag) remember(cell, { doc: next, etag });
        else cell.known = undefined;
        return results(next);
      }
      decided.forEach((d, i) => {
        if (d.next) for (const blob of d.garbage ?? []) dropped[i]?.add(blob);
      });
      lost++;
      await pause(backoffMs(priority, lost));
      base = await fetch(runId, cell.key);
      fresh = true;
      if (base.doc?.revision === next.revision) {
        // Our PUT had landed; the SDK's retry of it got the 412.
        remember(cell, base);
        return results(base.doc);
      }
    }
    cell.known = undefined;
    throw new Error(`durable-x s3: gave up writing ${cell.key} after ${lost} rounds of contention`);
  };

  const drain = async (runId: string, cell: Cell) => {
    cell.draining = true;
    try {
      while (cell.queue.length > 0) {
        const batch = cell.queue.splice(0);
        try {
          const committed = await commit(runId, cell, batch);
          batch.forEach((job, i) => job.resolve(committed[i] as Committed<unknown>));
        } catch (error) {
          cell.known = undefined; // a failed PUT may or may not have landed
          for (const job of batch) job.reject(error);
        }
      }
    } finally {
      cell.draining = false;
      evict();
    }
  };

  return {
    /** Applies `change` atomically to the run's document (one conditional PUT when it writes). */
    mutate<T>(
      runId: string,
      runKey: string,
      change: Change<T>,
      options: MutateOptions,
    ): Promise<Committed<T>> {
      const cell = cellOf(runId, runKey);
      const done = new Promise<Committed<T>>((resolve, reject) => {
        cell.queue.push({ change, options, resolve: resolve as Job['resolve'], reject });
      });
      if (!cell.draining) void drain(runId, cell);
      return done;
    },

    /** Notes that this instance's claim made `owner` the run's owner (see `priorityOf`). */
    claimed(runId: string, owner: string) {
      const cell = cells.get(runId);
      if (cell) cell.claimedAs = owner;
    },

    /** The cached document, without I/O (may be stale: only for sizing decisions). */
    cached(runId: string): RunDocument | undefined {
      return cells.get(runId)?.known?.doc;
    },

    /** The cached document if any, else a fresh read (which is then cached). */
    async current(runId: string, runKey: string, fresh = false): Promise<RunDocument | undefined> {
      const cell = cellOf(runId, runKey);
      if (!cell.known || fresh) {
        const known = await fetch(runId, cell.key);
        if (!cell.draining) remember(cell, known);
        return known.doc;
      }
      return cell.known.doc;
    },

    /** A fresh read that leaves the cache alone (reads must not race the write queue). */
    async read(runId: string, runKey: string): Promise<RunDocument | undefined> {
      const key = layout.runDocument(runKey);
      const found = await objects.get(key);
      if (!found) return undefined;
      const doc = decodeDocument(found.text, key);
      return doc.runId === runId && !isTombstone(doc) ? doc : undefined;
    },

    forget(runId: string) {
      const cell = cells.get(runId);
      if (cell && !cell.draining && cell.queue.length === 0) cells.delete(runId);
      else if (cell) cell.known = undefined;
    },
  };
};

export type RunDocuments = ReturnType<typeof runDocuments>;

/** Two ids can share a key only through SHA-256 or a malformed id: refuse to touch the other run. */
const checked = <D extends { readonly runId: string }>(doc: D, runId: string, key: string): D => {
  if (doc.runId !== runId) {
    throw new Error(
      `durable-x s3: ${key} holds run ${JSON.stringify(doc.runId)}, not ${JSON.stringify(runId)}`,
    );
  }
  return doc;
};
