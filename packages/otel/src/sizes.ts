import type { Storage } from '@td7x/durable-x';

const STEP_KEY = /#[0-9a-f]{64}$/;
const utf8 = new TextEncoder();

/**
 * Output sizes, learnt by watching the storage: the core's events name a step but carry no size.
 * `putStep` tells the size of a step just recorded (the core emits `step.ran` right after it);
 * `claim` tells the sizes of the memoized steps a load found (`step.skipped`). A name recorded
 * with several inputs in one run is ambiguous: no size is given for its memo hits.
 */
export interface Sizes {
  readonly storage: (storage: Storage) => Storage;
  ran(runId: string, name: string): number | undefined;
  memoized(runId: string, name: string): number | undefined;
  forget(runId: string): void;
}

const AMBIGUOUS = -1;

export const sizes = (): Sizes => {
  const lastPut = new Map<string, Map<string, number>>();
  const found = new Map<string, Map<string, number>>();
  const of = (maps: Map<string, Map<string, number>>, runId: string) => {
    let map = maps.get(runId);
    if (!map) {
      map = new Map();
      maps.set(runId, map);
    }
    return map;
  };
  return {
    // A storage whose every other property (name, limits, ownerPrefix getters) is the original's.
    storage: (storage) =>
      Object.assign(Object.create(storage) as Storage, {
        claim: async (request) => {
          const outcome = await storage.claim(request);
          if (outcome.kind === 'claimed' || outcome.kind === 'completed') {
            const map = new Map<string, number>();
            for (const record of outcome.snapshot.steps) {
              if (!STEP_KEY.test(record.key)) continue;
              map.set(record.name, map.has(record.name) ? AMBIGUOUS : utf8.encode(record.output).length);
            }
            found.set(request.runId, map);
          }
          return outcome;
        },
        putStep: async (request) => {
          const outcome = await storage.putStep(request);
          const record = outcome.kind === 'exists' ? outcome.record : request.record;
          if (outcome.kind === 'written' || outcome.kind === 'exists')
            of(lastPut, request.runId).set(record.name, utf8.encode(record.output).length);
          return outcome;
        },
      } satisfies Partial<Storage>),
    ran: (runId, name) => lastPut.get(runId)?.get(name),
    memoized: (runId, name) => {
      const size = found.get(runId)?.get(name);
      return size === AMBIGUOUS ? undefined : size;
    },
    forget: (runId) => {
      lastPut.delete(runId);
      found.delete(runId);
    },
  };
};
