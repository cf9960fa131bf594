import { decodeDocument, encodeDocument, type RunDocument } from './document.ts';
import type { Layout } from './keys.ts';
import type { Objects } from './objects.ts';

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
}

interface Known {
  readonly doc: RunDocument | undefined;
  /** undefined while the run does not exist. */
  readonly etag: string | undefined;
}

interface Job {
  readonly change: Change<unknown>;
  readonly resolve: (committed: Committed<unknown>) => void;
  readonly reject: (error: unknown) => void;
}

interface Cell {
  readonly key: string;
  /** Last document this instance read or wrote, with its ETag; undefined when not cached. */
  known?: Known | undefined;
  readonly queue: Job[];
  draining: boolean;
}

/** Rounds of read-and-retry before a write gives up (each round lost to another writer). */
const MAX_ROUNDS = 32;

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
    return { doc: checked(decodeDocument(found.text, key), runId, key), etag: found.etag };
  };

  /**
   * Only owned runs stay cached (running, or cancelled and claimed to run its cleanups): the owner
   * writes them again soon. A run without owner is written at most by a claim, a signal or a
   * cancel from anywhere, and memory stays bounded.
   */
  const remember = (cell: Cell, known: Known) => {
    cell.known = known.doc && known.doc.owner !== null ? known : undefined;
  };

  const commit = async (runId: string, cell: Cell, batch: readonly Job[]): Promise<Committed<unknown>[]> => {
    let base = cell.known;
    let fresh = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
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
      const results = (committed: RunDocument | undefined) =>
        decided.map((d) => ({
          outcome: d.outcome,
          doc: committed,
          garbage: d.next ? (d.garbage ?? []) : [],
        }));
      if (!wrote) {
        if (fresh) {
          remember(cell, base);
          return results(doc);
        }
        base = undefined; // decided on a cached copy: confirm on a fresh read
        continue;
      }
      const next: RunDocument = { ...(doc as RunDocument), revision: crypto.randomUUID() };
      const etag = await objects.put(cell.key, encodeDocument(next), base.etag ?? 'absent');
      if (etag !== 'precondition-failed') {
        if (etag) remember(cell, { doc: next, etag });
        else cell.known = undefined;
        return results(next);
      }
      base = await fetch(runId, cell.key);
      fresh = true;
      if (base.doc?.revision === next.revision) {
        remember(cell, base);
        return results(base.doc);
      }
    }
    cell.known = undefined;
    throw new Error(`durable-x s3: gave up writing ${cell.key} after ${MAX_ROUNDS} rounds of contention`);
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
    mutate<T>(runId: string, runKey: string, change: Change<T>): Promise<Committed<T>> {
      const cell = cellOf(runId, runKey);
      const done = new Promise<Committed<T>>((resolve, reject) => {
        cell.queue.push({ change, resolve: resolve as Job['resolve'], reject });
      });
      if (!cell.draining) void drain(runId, cell);
      return done;
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
    async read(runId: string, runKey: string): Promise<{ doc: RunDocument; etag: string } | undefined> {
      const key = layout.runDocument(runKey);
      const found = await objects.get(key);
      if (!found) return undefined;
      const doc = decodeDocument(found.text, key);
      return doc.runId === runId ? { doc, etag: found.etag } : undefined;
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
const checked = (doc: RunDocument, runId: string, key: string): RunDocument => {
  if (doc.runId !== runId) {
    throw new Error(
      `durable-x s3: ${key} holds run ${JSON.stringify(doc.runId)}, not ${JSON.stringify(runId)}`,
    );
  }
  return doc;
};
