import type { PutStepOutcome, PutStepRequest, Storage } from './contract.ts';

/*
 * Group commit of step writes. Runs of one process that write steps at the same moment share one
 * round trip (`putSteps`), each write still fenced and answered on its own. A write goes out at
 * once when no write of this process is in flight on that storage (a lone workflow pays no
 * delay). Otherwise it is queued: while `MAX_IN_FLIGHT` batches are out, the queue waits for one of
 * them to come back, and is then sent at the end of that tick (`setImmediate`: after the I/O
 * callbacks and promise jobs that answered the runs of the batch, which queue their next writes);
 * below that, at the end of the current tick. So the batches grow with the load: a storage busy
 * with one batch collects the next. A queue longer than one batch (`MAX_BATCH_WRITES`,
 * `MAX_BATCH_CHARS`) goes out as several batches at once, so `MAX_IN_FLIGHT` bounds when a queue
 * is sent, not how many batches a burst sends. A storage without `putSteps` gets one `putStep` per
 * write.
 */

interface Queued {
  readonly request: PutStepRequest;
  readonly resolve: (outcome: PutStepOutcome) => void;
  readonly reject: (cause: unknown) => void;
}

interface Group {
  readonly putSteps: NonNullable<Storage['putSteps']>;
  inFlight: number;
  queue: Queued[];
  scheduled: boolean;
}

/** At most this many writes, and about this many characters of records, in one `putSteps`. */
const MAX_BATCH_WRITES = 256;
/**
 * Batches of one storage out at once; more writes wait for it to come back. One: the writes that
 * arrive while a batch is out are the next batch, whole (measured on Postgres at concurrency 16:
 * ~14 writes a batch with one, ~9 with two or four, at the same throughput).
 */
const MAX_IN_FLIGHT = 1;
const MAX_BATCH_CHARS = 4 * 1024 * 1024;

const groups = new WeakMap<Storage, Group>();

const groupOf = (storage: Storage): Group | undefined => {
  let group = groups.get(storage);
  if (group === undefined) {
    const putSteps = storage.putSteps;
    if (typeof putSteps !== 'function') return undefined;
    group = { putSteps: putSteps.bind(storage), inFlight: 0, queue: [], scheduled: false };
    groups.set(storage, group);
  }
  return group;
};

type Later = (fn: () => void) => void;

/** After the current tick's I/O callbacks and the promise jobs they started. */
const later: Later = (() => {
  const scope = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof scope.setImmediate === 'function') {
    const setImmediate = scope.setImmediate;
    return (fn) => void setImmediate(fn);
  }
  return (fn) => void setTimeout(fn, 0);
})();

const sizeOf = (request: PutStepRequest): number =>
  request.record.output.length + request.record.key.length + request.runId.length + 64;

/** The queue in batches no bigger than the limits (a single oversized write goes alone). */
const batches = (queue: readonly Queued[]): Queued[][] => {
  const out: Queued[][] = [];
  let batch: Queued[] = [];
  let chars = 0;
  for (const queued of queue) {
    const size = sizeOf(queued.request);
    if (batch.length > 0 && (batch.length >= MAX_BATCH_WRITES || chars + size > MAX_BATCH_CHARS)) {
      out.push(batch);
      batch = [];
      chars = 0;
    }
    batch.push(queued);
    chars += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
};

const schedule = (storage: Storage, group: Group): void => {
  if (group.scheduled || group.queue.length === 0) return;
  group.scheduled = true;
  later(() => flush(storage, group));
};

const send = (storage: Storage, group: Group, batch: readonly Queued[]): void => {
  group.inFlight++;
  const settle = (outcomes: readonly PutStepOutcome[] | undefined, cause: unknown) => {
    group.inFlight--;
    schedule(storage, group);
    if (outcomes !== undefined && (!Array.isArray(outcomes) || outcomes.length !== batch.length)) {
      cause = new Error(
        `${storage.name} storage: putSteps answered ${Array.isArray(outcomes) ? outcomes.length : typeof outcomes} outcomes for ${batch.length} requests`,
      );
      outcomes = undefined;
    }
    batch.forEach((queued, i) => {
      if (outcomes === undefined) queued.reject(cause);
      else queued.resolve(outcomes[i] as PutStepOutcome);
    });
  };
  let answer: Promise<readonly PutStepOutcome[]>;
  try {
    answer =
      batch.length === 1
        ? storage.putStep((batch[0] as Queued).request).then((outcome) => [outcome])
        : group.putSteps(batch.map((queued) => queued.request));
  } catch (cause) {
    answer = Promise.reject(cause);
  }
  answer.then(
    (outcomes) => settle(outcomes, undefined),
    (cause: unknown) => settle(undefined, cause),
  );
};

const flush = (storage: Storage, group: Group): void => {
  group.scheduled = false;
  if (group.inFlight >= MAX_IN_FLIGHT) return; // the next batch to come back flushes
  const queue = group.queue;
  group.queue = [];
  for (const batch of batches(queue)) send(storage, group, batch);
};

/**
 * `putStep`, grouped with the other step writes of this process ready in the same tick when the
 * storage has `putSteps`. Rejects (or throws) when the storage failed: the caller reports it.
 */
export const putStepGrouped = (storage: Storage, request: PutStepRequest): Promise<PutStepOutcome> => {
  const group = groupOf(storage);
  if (group === undefined) return storage.putStep(request);
  if (group.inFlight === 0 && group.queue.length === 0) {
    const settled = () => {
      group.inFlight--;
      schedule(storage, group);
    };
    group.inFlight++;
    let answer: Promise<PutStepOutcome>;
    try {
      answer = storage.putStep(request);
    } catch (cause) {
      settled(); // a storage that throws instead of rejecting is still not in flight
      throw cause;
    }
    answer.then(settled, settled);
    return answer;
  }
  return new Promise<PutStepOutcome>((resolve, reject) => {
    group.queue.push({ request, resolve, reject });
    if (group.inFlight < MAX_IN_FLIGHT) schedule(storage, group);
  });
};
