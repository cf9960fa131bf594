import { isDeepStrictEqual } from 'node:util';
import {
  canonicalText,
  complete,
  defaultCodec,
  durable,
  inspectRun,
  isDurableXError,
  load,
  type Storage,
} from '@td7x/durable-x';
import fc from 'fast-check';

/**
 * Bad input through an adapter, in process: arbitrary run ids, step names, inputs and outputs.
 * Every call must end in a value or a typed `DurableXError`; a step recorded in one run must come
 * back, unchanged, when that run is replayed, never in another run.
 */
export interface FuzzReport {
  readonly cases: number;
  /** Calls made, and how many ended in a typed error (an expected answer to bad input). */
  readonly calls: number;
  readonly typedErrors: number;
  readonly violations: readonly string[];
}

const name = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'nul\u0000', '\ud800lone', 'n'.repeat(257), '🦀'.repeat(256)) },
);

const value = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.oneof(fc.double(), fc.bigInt(), fc.date(), fc.constant(undefined)) },
  { weight: 1, arbitrary: fc.constantFrom(() => 1, Symbol('s'), 'x'.repeat(300_000)) },
);

const step = fc.record({ name, input: fc.oneof(fc.jsonValue({ maxDepth: 2 }), value), output: value });

/** A run id made unique per case unless it is one of the invalid constants (which must be refused). */
const runId = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.string({ unit: 'binary', minLength: 0, maxLength: 40 }).map((id) => ({ id, unique: true })),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).map((id) => ({ id, unique: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('', 'a\u0000b', '\udc00', 'r'.repeat(257))
      .map((id) => ({ id, unique: false })),
  },
);

export const fuzzCase = fc.record({
  a: runId,
  b: runId,
  stepsA: fc.array(step, { maxLength: 5 }),
  stepsB: fc.array(step, { maxLength: 5 }),
});

type Settled<T> = { ok: true; value: T } | { ok: false; typed: boolean; error: unknown };

const settle = async <T>(promise: Promise<T>): Promise<Settled<T>> => {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, typed: isDurableXError(error), error };
  }
};

/** The value a replay must return: what the codec makes of it (it keeps -0, NaN, dates…). */
const roundTrip = (v: unknown): unknown => defaultCodec.decode(defaultCodec.encode(v));

export const runFuzz = async (options: {
  readonly storage: Storage;
  readonly seed: number;
  readonly cases: number;
  readonly label: string;
}): Promise<FuzzReport> => {
  const { storage } = options;
  let calls = 0;
  let typedErrors = 0;
  let counter = 0;
  const violations: string[] = [];
  const call = async <T>(what: string, promise: Promise<T>): Promise<Settled<T>> => {
    calls++;
    const settled = await settle(promise);
    if (!settled.ok) {
      if (settled.typed) typedErrors++;
      else
        violations.push(
          `${what} threw an untyped ${String((settled.error as Error)?.stack ?? settled.error)}`,
        );
    }
    return settled;
  };

  await fc.assert(
    fc.asyncProperty(fuzzCase, async (c) => {
      counter++;
      const ids = [c.a, c.b].map((r, i) => (r.unique ? `${r.id}·${options.label}·${counter}·${i}` : r.id));
      const runs = ids.map((id, i) => ({
        id,
        steps: i === 0 ? c.stepsA : c.stepsB,
        recorded: new Map<string, unknown>(),
      }));
      const cps = await Promise.all(
        runs.map((r) => call(`load(${JSON.stringify(r.id)})`, load(storage, { leaseMs: 30_000 })({})(r.id))),
      );
      // Interleaved steps of the two runs, so that a mix-up between runs would show.
      const longest = Math.max(c.stepsA.length, c.stepsB.length);
      for (let s = 0; s < longest; s++) {
        for (const [i, run] of runs.entries()) {
          const cp = cps[i]!;
          const st = run.steps[s];
          if (!cp.ok || !st) continue;
          const got = await call(
            `step ${JSON.stringify(st.name)}`,
            durable(storage)(cp.value)(st.name)(st.input)(() => st.output),
          );
          if (!got.ok) continue;
          const key = `${st.name}\u0000${canonicalOrNull(st.input)}`;
          if (!run.recorded.has(key)) run.recorded.set(key, roundTrip(st.output));
          else if (!isDeepStrictEqual(roundTrip(got.value), run.recorded.get(key))) {
            violations.push(
              `run ${JSON.stringify(run.id)}: step ${JSON.stringify(st.name)} called twice returned a different value`,
            );
          }
        }
      }
      for (const [i, run] of runs.entries()) {
        const cp = cps[i]!;
        if (!cp.ok) continue;
        const done = await call('complete', complete(storage)(cp.value));
        if (!done.ok) continue;
        // Replay: every recorded step returns what was stored for THIS run, without running.
        const replay = await call('replay load', load(storage)({})(run.id));
        if (!replay.ok) {
          violations.push(`run ${JSON.stringify(run.id)} cannot be replayed: ${String(replay.error)}`);
          continue;
        }
        for (const st of run.steps) {
          const key = `${st.name}\u0000${canonicalOrNull(st.input)}`;
          if (!run.recorded.has(key)) continue;
          const got = await call(
            'replayed step',
            durable(storage)(replay.value)(st.name)(st.input)(() => 'EXECUTED AGAIN'),
          );
          if (!got.ok)
            violations.push(`run ${JSON.stringify(run.id)}: replayed step ${JSON.stringify(st.name)} failed`);
          else if (!isDeepStrictEqual(got.value, run.recorded.get(key))) {
            violations.push(
              `run ${JSON.stringify(run.id)}: step ${JSON.stringify(st.name)} replayed ${preview(got.value)}, stored ${preview(run.recorded.get(key))}`,
            );
          }
        }
        const snapshot = await call('inspectRun', inspectRun(storage)(run.id));
        if (snapshot.ok && snapshot.value?.steps.length !== run.recorded.size) {
          violations.push(
            `run ${JSON.stringify(run.id)} holds ${snapshot.value?.steps.length} step records, ${run.recorded.size} were recorded`,
          );
        }
      }
      return true;
    }),
    { seed: options.seed, numRuns: options.cases, endOnFailure: true },
  );
  return { cases: options.cases, calls, typedErrors, violations };
};

const canonicalOrNull = (input: unknown): string => {
  try {
    return canonicalText(input);
  } catch {
    return '<not canonical>';
  }
};

const preview = (v: unknown): string => {
  try {
    return defaultCodec.encode(v).slice(0, 200);
  } catch {
    return String(v).slice(0, 200);
  }
};
