import { RUN_STATUSES, type RunStatus } from '@td7x/durable-x';

/**
 * Where a run lives in Redis.
 *
 * Keys of a run and the index of its bucket share one hash tag, `{<bucket>}`, so every script
 * touches a single slot and works on Redis Cluster, and the index can be updated in the same
 * atomic script as the run. A run id is hashed to one of `buckets` buckets; the bucket count is
 * part of the data layout and must never change for a prefix that holds runs.
 *
 *   <prefix>{<bucket>}:r:<base64url(utf8(runId))>:head      hash   status, owner, lease, …
 *   <prefix>{<bucket>}:r:<…>:steps                           hash   step key → record
 *   <prefix>{<bucket>}:r:<…>:signals                         set    keys of the signal records
 *   <prefix>{<bucket>}:r:<…>:cleanups                        hash   cleanup id → record
 *   <prefix>{<bucket>}:i:<status>                            zset   encoded id scored by updatedAt
 *
 * One index per status (`RUN_STATUSES`), kept exact by the scripts that change a run's status.
 *
 * base64url has no `{`, `}` or `:`, and the prefix may not contain braces, so neither can move the
 * hash tag nor make two runs share a key (`a/b` and `a%2Fb` encode differently). And the first `{`
 * of a key ends its prefix: two different prefixes (tenants) never share a key, even when one is
 * a prefix of the other.
 */
export const STATUSES: readonly RunStatus[] = RUN_STATUSES;

export interface RunKeys {
  /** The index member of the run: its encoded id. */
  readonly member: string;
  /** The bucket (one hash slot) of the run's keys. */
  readonly bucket: number;
  /** head, steps, signals, cleanups. */
  readonly run: readonly [string, string, string, string];
  /** One index per status, in the order of {@link STATUSES}. */
  readonly indexes: readonly string[];
}

export interface Layout {
  readonly runKeys: (runId: string) => RunKeys;
  readonly indexKey: (bucket: number, status: RunStatus) => string;
  readonly buckets: number;
}

export const layout = (prefix: string, buckets: number): Layout => {
  const slot = (bucket: number) => `${prefix}{${bucket}}:`;
  const runBase = (bucket: number) => `${slot(bucket)}r:`;
  const indexKey = (bucket: number, status: RunStatus) => `${slot(bucket)}i:${status}`;
  // A run makes many calls (one per step): its keys are derived once, for the recent runs.
  const recent = new Map<string, RunKeys>();
  const derive = (runId: string): RunKeys => {
    const bucket = bucketOf(runId, buckets);
    const member = encodeRunId(runId);
    const base = `${runBase(bucket)}${member}`;
    return {
      bucket,
      member,
      run: [`${base}:head`, `${base}:steps`, `${base}:signals`, `${base}:cleanups`],
      indexes: STATUSES.map((status) => indexKey(bucket, status)),
    };
  };
  return {
    buckets,
    indexKey,
    runKeys(runId) {
      let keys = recent.get(runId);
      if (keys === undefined) {
        if (recent.size >= RECENT_RUNS) recent.clear();
        keys = derive(runId);
        recent.set(runId, keys);
      }
      return keys;
    },
  };
};

const RECENT_RUNS = 4096;

const utf8 = new TextEncoder();

/** base64url of the UTF-8 bytes, unpadded: injective, and free of `{`, `}` and `:`. */
export const encodeRunId = (runId: string): string => {
  let binary = '';
  for (const byte of utf8.encode(runId)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
};

/** The run id of an index member (the inverse of {@link encodeRunId}). */
export const decodeRunId = (member: string): string => {
  const binary = atob(member.replaceAll('-', '+').replaceAll('_', '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
};

/** FNV-1a over the UTF-8 bytes: the same bucket in every process and runtime. */
export const bucketOf = (runId: string, buckets: number): number => {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(runId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % buckets;
};
