import type {
  CancelOutcome,
  ClaimOutcome,
  Fenced,
  PutSignalOutcome,
  PutStepOutcome,
  PutStepRequest,
  RunSnapshot,
  RunStatus,
  Storage,
  SuspendOutcome,
} from '@td7x/durable-x';
import { type RedisCommands, runScript, type Script } from './commands.ts';
import { isIoredis } from './ioredis.ts';
import { decodeRunId, layout, STATUSES } from './keys.ts';
import {
  CANCEL,
  CLAIM,
  FINISH,
  LIST,
  PURGE_CANDIDATES,
  PURGE_RUNS,
  PUT_CLEANUP,
  PUT_SIGNAL,
  PUT_STEP,
  PUT_STEPS,
  READ,
  REMOVE_CLEANUP,
  ROLLBACK,
  SET_LEASE,
  SUSPEND,
} from './lua.ts';
import {
  byAge,
  compareCodePoints,
  decodeAll,
  decodeCleanup,
  decodeHead,
  decodeStep,
  encodeCleanup,
  encodeStep,
} from './records.ts';

export interface RedisStorageOptions {
  /** Runs scripts: `ioredisClient(new Redis(url, …))`, or any {@link RedisCommands}. */
  readonly client: RedisCommands;
  /**
   * Prepended to every key: one namespace (tenant) per prefix. Any well-formed string without `{`
   * or `}`: two different prefixes never share a key or an index entry, even when one is a
   * prefix of the other (see the README, Tenants). Default `dx:`.
   */
  readonly prefix?: string;
  /** Expire a completed run (all its keys) this many seconds after it completed. Default: never. */
  readonly completedTtlSeconds?: number;
  /**
   * How many hash slots the runs are spread over (each bucket is one slot holding its runs and
   * their index). `list` and `purge` cost one script per bucket. Part of the data layout: never
   * change it for a prefix that holds runs. Default 16.
   */
  readonly buckets?: number;
  /** Largest encoded value accepted. Default: Redis's 512 MB string limit less room for metadata. */
  readonly maxValueBytes?: number;
  /**
   * What senders may add to one run (the core refuses more before writing): how many signals,
   * and the encoded size of each. Default {@link REDIS_SIGNAL_LIMITS}; only values below the
   * core's own limits have an effect (see the README, Limits).
   */
  readonly signalLimits?: { readonly perRun?: number; readonly bytes?: number };
}

/**
 * Signals are read back by every load, inside the claim script, which blocks the server while it
 * builds its reply: measured (`test/measure/signal-load.ts`), 256 signals of 64 KiB (the core's
 * limits) block it ~68 ms per load, of 16 KiB ~9 ms. So 16 KiB each here; the count is the core's.
 */
export const REDIS_SIGNAL_LIMITS = { bytes: 16 * 1024 } as const;

/** Redis's limit on one string (and one script argument), minus room for a record's metadata. */
export const REDIS_MAX_VALUE_BYTES = 512 * 1024 * 1024 - 64 * 1024;

/**
 * A durable-x storage on Redis: every operation is one Lua script (one round trip), atomic on
 * the server, fenced by the owner token inside the script. No I/O happens until a method is
 * called; the client is the caller's to connect and close.
 */
export const redisStorage = (options: RedisStorageOptions): Storage => {
  const prefix = options.prefix ?? 'dx:';
  const buckets = options.buckets ?? 16;
  const ttl = options.completedTtlSeconds ?? 0;
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || !prefix.isWellFormed()) {
    throw new TypeError(
      'redisStorage: the prefix must be well-formed Unicode without "{" or "}" (see the README, Tenants)',
    );
  }
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 16384) {
    throw new TypeError('redisStorage: buckets must be an integer from 1 to 16384');
  }
  if (!Number.isInteger(ttl) || ttl < 0)
    throw new TypeError('redisStorage: completedTtlSeconds must be an integer ≥ 0');
  if (isIoredis(options.client)) {
    throw new TypeError(
      'redisStorage: client is an ioredis client; wrap it with ioredisClient: redisStorage({ client: ioredisClient(redis) })',
    );
  }
  const signalLimits = { ...REDIS_SIGNAL_LIMITS, ...options.signalLimits };
  for (const [name, limit] of Object.entries(signalLimits)) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new TypeError(`redisStorage: signalLimits.${name} must be an integer ≥ 1`);
  }
  const keys = layout(prefix, buckets);
  const run = (lua: Script, scriptKeys: readonly string[], args: readonly (string | number)[]) =>
    runScript(options.client, lua, [...scriptKeys], args.map(String));
  const allBuckets = Array.from({ length: buckets }, (_, bucket) => bucket);

  return {
    name: 'redis',
    maxValueBytes: options.maxValueBytes ?? REDIS_MAX_VALUE_BYTES,
    signalLimits,

    async claim({ runId, owner, now, leaseMs, ifOwner, ifLeaseExpiresAt }): Promise<ClaimOutcome> {
      const k = keys.runKeys(runId);
      const args = [
        runId,
        k.member,
        owner,
        now,
        now + leaseMs,
        ifOwner ?? '',
        ifOwner === undefined ? 0 : 1,
        ifLeaseExpiresAt ?? '',
      ];
      const reply = (await run(CLAIM, [...k.run, ...k.indexes], args)) as
        | ['not-found']
        | ['claimed' | 'completed' | 'busy', string[], string[]?, string[]?, string?];
      if (reply[0] === 'not-found') return { kind: 'not-found' };
      const [kind, head, steps = [], cleanups = [], previous = ''] = reply;
      if (kind === 'busy') return { kind, run: decodeHead(head) };
      const snapshot = snapshotOf(head, steps, cleanups);
      if (kind === 'completed') return { kind, snapshot };
      return { kind, snapshot, previousStatus: previous === '' ? null : (previous as RunStatus) };
    },

    async putStep({ runId, owner, record }): Promise<PutStepOutcome> {
      const [head, steps] = keys.runKeys(runId).run;
      return stepOutcome(
        record.key,
        await run(PUT_STEP, [head, steps], [owner, record.key, encodeStep(record)]),
      );
    },

    // Group commit: one script per bucket (a script touches one slot, so that it runs on a
    // cluster), the buckets' scripts sent at once; each request fenced and answered on its own.
    async putSteps(requests): Promise<PutStepOutcome[]> {
      const byBucket = new Map<number, number[]>();
      requests.forEach((request, i) => {
        const { bucket } = keys.runKeys(request.runId);
        const indices = byBucket.get(bucket);
        if (indices) indices.push(i);
        else byBucket.set(bucket, [i]);
      });
      const outcomes: PutStepOutcome[] = new Array(requests.length);
      await Promise.all(
        [...byBucket.values()].map(async (indices) => {
          const scriptKeys: string[] = [];
          const args: string[] = [];
          for (const i of indices) {
            const { runId, owner, record } = requests[i] as PutStepRequest;
            const [head, steps] = keys.runKeys(runId).run;
            scriptKeys.push(head, steps);
            args.push(owner, record.key, encodeStep(record));
          }
          const replies = (await run(PUT_STEPS, scriptKeys, args)) as StepReply[];
          if (!Array.isArray(replies) || replies.length !== indices.length) {
            throw new Error(`redis storage: PUT_STEPS answered ${JSON.stringify(replies)?.slice(0, 200)}`);
          }
          indices.forEach((i, k) => {
            outcomes[i] = stepOutcome((requests[i] as PutStepRequest).record.key, replies[k] as StepReply);
          });
        }),
      );
      return outcomes;
    },

    async putCleanup({ runId, owner, record }) {
      const [head, , , cleanups] = keys.runKeys(runId).run;
      return (await run(PUT_CLEANUP, [head, cleanups], [owner, record.id, encodeCleanup(record)])) as Fenced;
    },

    async removeCleanup({ runId, owner, id, record }) {
      const [head, steps, , cleanups] = keys.runKeys(runId).run;
      const closing = record ? [record.key, encodeStep(record)] : [];
      return (await run(REMOVE_CLEANUP, [head, cleanups, steps], [owner, id, ...closing])) as Fenced;
    },

    async rollback({ runId, owner, cleanupId, afterSeq }) {
      const [head, steps, , cleanups] = keys.runKeys(runId).run;
      return (await run(ROLLBACK, [head, steps, cleanups], [owner, cleanupId, afterSeq])) as Fenced;
    },

    async setLease({ runId, owner, leaseExpiresAt, now }) {
      const k = keys.runKeys(runId);
      return (await run(
        SET_LEASE,
        [...k.run, ...k.indexes],
        [owner, k.member, leaseExpiresAt, now],
      )) as Fenced;
    },

    async finish({ runId, owner, status, at, error, dropCleanups }) {
      const k = keys.runKeys(runId);
      const args = [
        owner,
        k.member,
        status,
        at,
        error ?? '',
        error === null ? 0 : 1,
        dropCleanups ? 1 : 0,
        ttl,
      ];
      return (await run(FINISH, [...k.run, ...k.indexes], args)) as Fenced;
    },

    async suspend({ runId, owner, at, wakeAt, signalKey }): Promise<SuspendOutcome> {
      const k = keys.runKeys(runId);
      const args = [owner, k.member, at, wakeAt, signalKey ?? '', signalKey === undefined ? 0 : 1];
      const reply = (await run(SUSPEND, [...k.run, ...k.indexes], args)) as [
        'suspended' | 'lease-lost' | 'cancelled',
        string?,
      ];
      if (reply[0] !== 'suspended') return { kind: reply[0] };
      return { kind: 'suspended', wakeAt: Number(reply[1]) };
    },

    async putSignal({ runId, record, now, maxSignals }): Promise<PutSignalOutcome> {
      const [head, steps, signals] = keys.runKeys(runId).run;
      const args = [record.key, encodeStep(record), now, maxSignals ?? ''];
      const reply = (await run(PUT_SIGNAL, [head, steps, signals], args)) as
        | ['not-found']
        | ['written' | 'full', RunStatus]
        | ['exists', string, RunStatus];
      if (reply[0] === 'not-found') return { kind: 'not-found' };
      if (reply[0] !== 'exists') return { kind: reply[0], status: reply[1] };
      return { kind: 'exists', record: decodeStep(record.key, reply[1]), status: reply[2] };
    },

    async cancel({ runId, at }): Promise<CancelOutcome> {
      const k = keys.runKeys(runId);
      const reply = (await run(CANCEL, [...k.run, ...k.indexes], [k.member, at])) as
        | ['not-found']
        | ['cancelled' | 'completed', string[]];
      if (reply[0] === 'not-found') return { kind: 'not-found' };
      return { kind: reply[0], run: decodeHead(reply[1]) };
    },

    async read(runId) {
      const [head, steps, , cleanups] = keys.runKeys(runId).run;
      const reply = (await run(READ, [head, steps, cleanups], [])) as [] | [string[], string[], string[]];
      return reply.length === 0 ? undefined : snapshotOf(...reply);
    },

    async list({ statuses = STATUSES, updatedBefore, leaseExpiredAt, after, limit }) {
      if (limit <= 0 || statuses.length === 0) return [];
      const wanted = [...new Set(statuses)];
      const args = [limit, updatedBefore ?? '', leaseExpiredAt ?? '', after?.updatedAt ?? ''];
      const replies = await Promise.all(
        allBuckets.map(
          (bucket) =>
            run(
              LIST,
              wanted.map((status) => keys.indexKey(bucket, status)),
              args,
            ) as Promise<string[][]>,
        ),
      );
      return replies
        .flat()
        .map(decodeHead)
        .filter((head) => after === undefined || byAge(head, { ...head, ...after }) > 0)
        .sort(byAge)
        .slice(0, limit);
    },

    async purge({ statuses, updatedBefore, limit }) {
      if (limit <= 0 || statuses.length === 0) return 0;
      const wanted = [...new Set(statuses)];
      const indexesOf = (bucket: number) => wanted.map((status) => keys.indexKey(bucket, status));
      // Two rounds, each one script per bucket sent concurrently: every bucket names its oldest
      // candidates, the oldest of all are chosen here, then each bucket deletes those of its
      // chosen runs that still match (see PURGE_RUNS). Entries of expired runs take no part of
      // the batch: the rounds go on without them.
      let deleted = 0;
      for (;;) {
        const wantedCount = limit - deleted;
        const found = await Promise.all(
          allBuckets.map(async (bucket) =>
            candidatesOf(
              bucket,
              (await run(PURGE_CANDIDATES, indexesOf(bucket), [updatedBefore, wantedCount])) as string[],
            ),
          ),
        );
        const chosen = found.flat().sort(byCandidateAge).slice(0, wantedCount);
        if (chosen.length === 0) return deleted;
        const replies = await Promise.all(
          allBuckets.map(async (bucket): Promise<[deleted: number, expired: number]> => {
            const members = chosen.filter((c) => c.bucket === bucket).map((c) => c.member);
            if (members.length === 0) return [0, 0];
            return (await run(PURGE_RUNS, indexesOf(bucket), [updatedBefore, ...members])) as [
              number,
              number,
            ];
          }),
        );
        deleted += replies.reduce((sum, [n]) => sum + n, 0);
        if (deleted >= limit || replies.every(([, expired]) => expired === 0)) return deleted;
      }
    },
  };
};

type StepReply = ['written' | 'exists' | 'lease-lost' | 'cancelled', string?];

/** A PUT_STEP reply, as the contract's outcome (the stored record of an existing key decoded). */
const stepOutcome = (key: string, reply: unknown): PutStepOutcome => {
  const [kind, stored] = reply as StepReply;
  if (kind === 'exists') return { kind, record: decodeStep(key, stored as string) };
  if (kind === 'written' || kind === 'lease-lost' || kind === 'cancelled') return { kind };
  throw new Error(`redis storage: putStep answered ${JSON.stringify(reply)?.slice(0, 200)}`);
};

interface PurgeCandidate {
  readonly bucket: number;
  readonly updatedAt: number;
  readonly member: string;
}

/** A PURGE_CANDIDATES reply: `[updatedAt, member, …]`. */
const candidatesOf = (bucket: number, flat: readonly string[]): PurgeCandidate[] => {
  const out: PurgeCandidate[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    out.push({ bucket, updatedAt: Number(flat[i]), member: flat[i + 1] as string });
  }
  return out;
};

/** Oldest first, in the order of `list` (run ids decoded from the members only to break ties). */
const byCandidateAge = (a: PurgeCandidate, b: PurgeCandidate): number =>
  a.updatedAt - b.updatedAt || compareCodePoints(decodeRunId(a.member), decodeRunId(b.member));

const snapshotOf = (head: string[], steps: string[], cleanups: string[]): RunSnapshot => ({
  run: decodeHead(head),
  steps: decodeAll(steps, decodeStep),
  cleanups: decodeAll(cleanups, decodeCleanup),
});
