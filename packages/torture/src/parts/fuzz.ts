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
 * Arbitrary input through an adapter, in process: run ids, step names, inputs and outputs. Each
 * call's answer is judged against what the input deserves, decided apart from the adapter (the
 * documented rules: a name is 1–256 well-formed Unicode characters without NUL; a value must
 * round-trip through the codec and fit the storage's `maxValueBytes`): valid input must get a
 * value, invalid input its own typed error (`InvalidRunId`, `InvalidName`, `NotEncodable`,
 * `PayloadTooLarge`) and nothing else — a `StorageUnavailable` or a `NotDecodable` on valid input
 * is a violation, and so is invalid input accepted. A step recorded in one run must come back,
 * unchanged, when that run is replayed, never in another run.
 */
export interface FuzzReport {
  readonly cases: number;
  /** Calls made, and how many ended in the typed error their input deserved. */
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

type Settled<T> = { ok: true; value: T } | { ok: false; type: string; error: unknown };

const settle = async <T>(promise: Promise<T>): Promise<Settled<T>> => {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, type: isDurableXError(error) ? error.error.type : 'untyped', error };
  }
};

/** The documented rule for run ids and names, written apart from the core's check. */
export const validName = (name: string): boolean =>
  name.length > 0 && !name.includes('\u0000') && name.isWellFormed() && [...name].length <= 256;

/** The error a value deserves as an input (`hashed`) or an output (stored): none, or its type. */
export const valueProblem = (value: unknown, maxValueBytes: number, hashed: boolean): string | undefined => {
  let text: string;
  try {
    text = hashed ? canonicalText(value) : defaultCodec.encode(value);
  } catch {
    return 'NotEncodable';
  }
  return !hashed && Buffer.byteLength(text) > maxValueBytes ? 'PayloadTooLarge' : undefined;
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
  const maxValueBytes = storage.maxValueBytes ?? Number.POSITIVE_INFINITY;
  /** Runs a call whose input deserves `expected` (undefined: a value) and judges its answer. */
  const call = async <T>(
    what: string,
    expected: string | undefined,
    promise: Promise<T>,
  ): Promise<Settled<T>> => {
    calls++;
    const settled = await settle(promise);
    if (settled.ok && expected !== undefined)
      violations.push(`${what} was accepted; its input deserves ${expected}`);
    if (!settled.ok) {
      if (settled.type === expected) typedErrors++;
      else
        violations.push(
          `${what} failed with ${settled.type}; its input deserves ${expected ?? 'a value'}: ${String((settled.error as Error)?.stack ?? settled.error).slice(0, 500)}`,
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
        runs.map((r) =>
          call(
            `load(${JSON.stringify(r.id)})`,
            validName(r.id) ? undefined : 'InvalidRunId',
            load(storage, { leaseMs: 30_000 })({})(r.id),
          ),
        ),
      );
      // Interleaved steps of the two runs, so that a mix-up between runs would show.
      const longest = Math.max(c.stepsA.length, c.stepsB.length);
      for (let s = 0; s < longest; s++) {
        for (const [i, run] of runs.entries()) {
          const cp = cps[i]!;
          const st = run.steps[s];
          if (!cp.ok || !st) continue;
          // What the step deserves, in the order the core checks: its name, its input, its output.
          const expected = !validName(st.name)
            ? 'InvalidName'
            : (valueProblem(st.input, maxValueBytes, true) ??
              (run.recorded.has(keyOf(st) ?? '')
                ? undefined
                : valueProblem(st.output, maxValueBytes, false)));
          const got = await call(
            `step ${JSON.stringify(st.name)}`,
            expected,
            durable(storage)(cp.value)(st.name)(st.input)(() => st.output),
          );
          if (!got.ok) continue;
          const key = keyOf(st) ?? '';
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
        const done = await call('complete', undefined, complete(storage)(cp.value));
        if (!done.ok) continue;
        // Replay: every recorded step returns what was stored for THIS run, without running.
        const replay = await call('replay load', undefined, load(storage)({})(run.id));
        if (!replay.ok) continue;
        for (const st of run.steps) {
          const key = keyOf(st);
          if (key === undefined || !run.recorded.has(key)) continue;
          const got = await call(
            'replayed step',
            undefined,
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
        const snapshot = await call('inspectRun', undefined, inspectRun(storage)(run.id));
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

/** A step's memo key as the documentation defines it: its name and the canonical text of its input. */
const keyOf = (st: { name: string; input: unknown }): string | undefined => {
  try {
    return `${st.name}\u0000${canonicalText(st.input)}`;
  } catch {
    return undefined;
  }
};

const preview = (v: unknown): string => {
  try {
    return defaultCodec.encode(v).slice(0, 200);
  } catch {
    return String(v).slice(0, 200);
  }
};
